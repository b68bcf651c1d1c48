/* tests of test_fd.c */
TEST_ENTRY(test_fd_mode_socketpair)
TEST_ENTRY(test_fd_mode_eof_mid_handshake)
TEST_ENTRY(test_set_fd_refusals)
TEST_ENTRY(test_set_fd_says_why)
TEST_ENTRY(test_pipe_fd_never_raises_sigpipe)
