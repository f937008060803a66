/* internal.h: declarations shared between the library's files that run in no process of
 * their own (the verdict and the reports, called by the supervisor's caller), lg__ prefix.
 * Never installed; never included from harness/ or gdb/. */
#ifndef LG_INTERNAL_H
#define LG_INTERNAL_H

#include <stdio.h>

/* Writes at most len bytes of s as XML text, always valid UTF-8 (report_junit.c; the SVG
 * chart uses it too). */
void lg__xml_text(FILE *f, const char *s, size_t len);
/* Decodes the UTF-8 sequence at s (len > 0 bytes available) into *cp and returns its
 * length; a byte that starts no valid sequence is 1 long and reads as U+FFFD (report.c). */
size_t lg__utf8_next(const char *s, size_t len, unsigned long *cp);

#endif
