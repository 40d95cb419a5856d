/*
 * libseccomp's <seccomp.h>. berth's own seccomp.h (the stage interface) shadows it on the
 * include path, so this wrapper, found through -I src/libberth with angle brackets, continues
 * the search past that directory. Include it as <libseccomp.h>, never with quotes.
 */
#ifndef BERTH_LIBSECCOMP_H
#define BERTH_LIBSECCOMP_H

#include_next <seccomp.h>

#endif
