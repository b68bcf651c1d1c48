/* Every test of the C suite, as TEST_ENTRY(name); each file keeps its own list. */
#include "list_core.h"
#include "list_interop.h"
#include "list_gnutls.h"
#include "list_config.h"
