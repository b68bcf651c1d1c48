/* tests of test_dtls.c */
TEST_ENTRY(test_dtls_keys)
TEST_ENTRY(test_dtls_pair_memory)
TEST_ENTRY(test_dtls_take_keeps_datagrams)
TEST_ENTRY(test_dtls_cookie_stateless)
TEST_ENTRY(test_dtls_timer_in_script_hands)
TEST_ENTRY(test_dtls_retransmit_ms)
TEST_ENTRY(test_dtls_lossy_virtual_time)
