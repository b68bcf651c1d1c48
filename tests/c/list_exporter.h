/* tests of test_exporter.c */
TEST_ENTRY(test_exporter_pair_tls13)
TEST_ENTRY(test_exporter_pair_tls12)
TEST_ENTRY(test_exporter_against_s_server_tls13)
TEST_ENTRY(test_exporter_against_s_server_tls12)
