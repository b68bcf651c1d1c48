/* test_threads.c - configs shared by threads (make test-c-tsan runs every
   test whose name holds "threads" under ThreadSanitizer). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include <openssl/ssl.h>

#include "check.h"

/* Counts the threads inside SSL_new, so inside tlshs_new: OpenSSL calls an
   ex_data index's "new" callback there for every SSL object. */
static atomic_int inside, most_inside, watching;

static void count_inside(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                         void *argp) {
    int now;
    (void)parent, (void)ptr, (void)ad, (void)idx, (void)argl, (void)argp;
    if (!atomic_load(&watching)) return;
    now = atomic_fetch_add(&inside, 1) + 1;
    /* until two were seen together, wait a moment (bounded) for another */
    for (int i = 0; i < 2000 && atomic_load(&most_inside) < 2 && now < 2; i++) {
        sched_yield();
        now = atomic_load(&inside);
    }
    for (int m = atomic_load(&most_inside); now > m;)
        if (atomic_compare_exchange_weak(&most_inside, &m, now)) break;
    atomic_fetch_sub(&inside, 1);
}

struct race {
    tlshs_config *cc, *sc;
    pthread_barrier_t *start;
    const char *refused, *in_use; /* the two messages a reader may see */
    int ok;
};

/* Makes handshakes from the shared configs, and tlshs_new calls the shared
   client config refuses (no server name), which write its error while the
   other threads read it: every read must be one whole message. */
static void *race_handshake(void *arg) {
    struct race *r = arg;
    r->ok = 1;
    pthread_barrier_wait(r->start);
    for (int i = 0; i < 40 && r->ok; i++) {
        tlshs *c = tlshs_new(r->cc, "localhost"), *s = tlshs_new(r->sc, NULL);
        const char *msg;
        if (!c || !s || (i % 10 == 0 && !pump(c, s, 20))) r->ok = 0;
        tlshs_free(c);
        tlshs_free(s);
        if (tlshs_new(r->cc, NULL) != NULL) r->ok = 0;
        msg = tlshs_config_error(r->cc);
        if (strcmp(msg, r->refused) != 0 && strcmp(msg, r->in_use) != 0) {
            fprintf(stderr, "  read \"%s\"\n", msg);
            r->ok = 0;
        }
    }
    return NULL;
}

/* Sets a key while the others make the first handshakes: before the freeze
   it applies; after, "config is in use"; never a mix. */
static void *race_set(void *arg) {
    struct race *r = arg;
    r->ok = 1;
    pthread_barrier_wait(r->start);
    for (int i = 0; i < 200; i++)
        if (tlshs_config_set(r->cc, "tickets", "on") != 0 &&
            tlshs_config_error_code(r->cc) != TLSHS_E_IN_USE)
            r->ok = 0;
    return NULL;
}

/* The message a config answers after a call that fails: whatever it says,
   it is what the threads must read whole. */
static void message_of(char *out, size_t cap, int in_use) {
    tlshs_config *cfg = client_config();
    tlshs *hs = cfg ? tlshs_new(cfg, "localhost") : NULL;
    out[0] = '\0';
    if (in_use) tlshs_config_set(cfg, "tickets", "on");
    else tlshs_new(cfg, NULL);
    snprintf(out, cap, "%s", tlshs_config_error(cfg));
    tlshs_free(hs);
    tlshs_config_free(cfg);
}

/* Four threads, let go together, make the first handshakes of one fresh
   config pair while a fifth sets a key: the freeze happens once, set and
   freeze never overlap, and the refusals written to the shared config are
   read whole.  At least two threads must have been inside tlshs_new at
   once, or the test proves nothing. */
TEST(test_config_shared_by_threads) {
    enum { N = 4 };
    pthread_t t[N + 1];
    pthread_barrier_t start;
    struct race r[N + 1];
    char refused[256], in_use[256];
    tlshs_config *cc, *sc;
    int idx;
    message_of(refused, sizeof refused, 0);
    message_of(in_use, sizeof in_use, 1);
    CHECK_CONTAINS(refused, "server_name: ");
    CHECK_CONTAINS(in_use, "tickets: ");
    cc = client_config();
    sc = server_config();
    CHECK(cc && sc);
    idx = SSL_get_ex_new_index(0, NULL, count_inside, NULL, NULL);
    CHECK_INT(idx, >=, 0);
    atomic_store(&inside, 0);
    atomic_store(&most_inside, 0);
    atomic_store(&watching, 1);
    CHECK_INT(pthread_barrier_init(&start, NULL, N + 1), ==, 0);
    for (int i = 0; i <= N; i++) {
        r[i] = (struct race){cc, sc, &start, refused, in_use, 0};
        CHECK_INT(pthread_create(&t[i], NULL, i < N ? race_handshake : race_set, &r[i]), ==, 0);
    }
    for (int i = 0; i <= N; i++) pthread_join(t[i], NULL);
    atomic_store(&watching, 0);
    CRYPTO_free_ex_index(CRYPTO_EX_INDEX_SSL, idx);
    pthread_barrier_destroy(&start);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
    for (int i = 0; i <= N; i++) CHECK_INT(r[i].ok, ==, 1);
    CHECK_INT(atomic_load(&most_inside), >=, 2);
}
