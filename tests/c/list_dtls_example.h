/* tests of test_dtls_example.c */
TEST_ENTRY(test_dtls_example_server)
