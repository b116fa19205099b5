#ifndef HAVEN_CQRENCODE_SHIM_H
#define HAVEN_CQRENCODE_SHIM_H
#include <qrencode.h>
#endif
