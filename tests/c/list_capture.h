/* tests of test_capture.c */
TEST_ENTRY(test_capture_tls13_client)
TEST_ENTRY(test_capture_tls13_server)
TEST_ENTRY(test_capture_tls12_client)
TEST_ENTRY(test_capture_tls12_server)
