/* tests of test_dtls_capture.c */
TEST_ENTRY(test_capture_dtls_pair)
TEST_ENTRY(test_capture_dtls_mtu512)
TEST_ENTRY(test_capture_dtls_fd)
