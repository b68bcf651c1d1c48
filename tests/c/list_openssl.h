/* tests of test_openssl.c */
TEST_ENTRY(test_read_that_must_write_key_update)
TEST_ENTRY(test_chain_built_once_sends_what_openssl_would)
TEST_ENTRY(test_peer_cert_after_renegotiation)
