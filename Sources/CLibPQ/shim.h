#ifndef HAVEN_CLIBPQ_SHIM_H
#define HAVEN_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
