/* tests of test_hello_interop.c */
TEST_ENTRY(test_hello_cb_sni_with_s_client)
TEST_ENTRY(test_hello_cb_refusal_reaches_s_client)
