/* tests of test_interop.c */
