/* tests of test_pq.c */
TEST_ENTRY(test_pq_between_tlshs_peers)
TEST_ENTRY(test_pq_default_groups)
TEST_ENTRY(test_pq_against_s_server)
