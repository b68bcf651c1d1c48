/* tests of test_registry.c */
TEST_ENTRY(test_registry_matches_iana)
TEST_ENTRY(test_registry_names_every_openssl_group)
TEST_ENTRY(test_registry_names_every_openssl_sigalg)
