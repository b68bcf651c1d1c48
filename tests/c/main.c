/* The C suite's runner: runs every test of test_list.h (or those whose name
   contains argv[1]) and prints "N passed, N failed". */
#include <stdarg.h>
#include <stdlib.h>

#include "check.h"

#define TEST_ENTRY(name) void name(void);
#include "test_list.h"
#undef TEST_ENTRY

static const struct {
    const char *name;
    void (*fn)(void);
} tests[] = {
#define TEST_ENTRY(name) {#name, name},
#include "test_list.h"
#undef TEST_ENTRY
};

int check_current_failed;

int check_listed(const char *name) {
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (strcmp(tests[i].name, name) == 0) return 1;
    return 0;
}

void check_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    check_current_failed = 1;
}

int main(int argc, char **argv) {
    int passed = 0, failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1])) continue;
        check_current_failed = 0;
        tests[i].fn();
        fflush(stderr);
        printf("%s %s\n", check_current_failed ? "FAIL" : "ok  ", tests[i].name);
        if (check_current_failed) failed++;
        else passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
