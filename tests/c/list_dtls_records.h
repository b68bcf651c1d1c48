/* tests of test_dtls_records.c */
TEST_ENTRY(test_dtls_records_of_real_datagrams)
TEST_ENTRY(test_dtls_records_partial_and_limits)
TEST_ENTRY(test_dtls_refragment_rules)
TEST_ENTRY(test_dtls_refragmented_flights_complete)
TEST_ENTRY(test_dtls_hellos_parsed)
/* tests of test_dtls_records_oracles.c */
TEST_ENTRY(test_dtls_records_openssl_relay_tshark)
TEST_ENTRY(test_dtls_ja4_by_hand_openssl_gnutls)
