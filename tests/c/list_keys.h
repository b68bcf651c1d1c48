/* tests of test_keys.c */
TEST_ENTRY(test_key_table_rows)
TEST_ENTRY(test_key_table_setters_and_roles)
TEST_ENTRY(test_key_table_man_page)
TEST_ENTRY(test_usage_code_cleared_by_each_call)
TEST_ENTRY(test_keylog_file_kinds)
