/* tests of test_soak.c */
TEST_ENTRY(test_many_handshakes_share_config)
TEST_ENTRY(test_mutated_flights_never_crash_or_hang)
TEST_ENTRY(test_soak_10000_handshakes_in_flight)
