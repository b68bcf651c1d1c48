/* tests of test_psk.c */
TEST_ENTRY(test_psk_pair_tls12)
TEST_ENTRY(test_psk_pair_tls13)
TEST_ENTRY(test_psk_values)
TEST_ENTRY(test_psk_against_s_server_tls12)
TEST_ENTRY(test_psk_against_s_server_tls13)
