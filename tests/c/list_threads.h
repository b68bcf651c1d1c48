/* tests of test_threads.c (names with "threads" also run under make test-c-tsan) */
TEST_ENTRY(test_config_shared_by_threads)
