/* series.c: the growing array of samples taken from one target (lg_series). */
#include <stdint.h>
#include <stdlib.h>

#include "leakgate.h"

/* The capacity of the first allocation, in samples. */
#define SERIES_FIRST_CAP 64

void lg_series_init(lg_series *s, uint32_t available)
{
	if (s == NULL)
		return;
	s->samples = NULL;
	s->len = 0;
	s->cap = 0;
	s->available = available;
}

/* Copies *sample to the end of the series, doubling the capacity when full. On failure
 * the series is left as it was. */
int lg_series_append(lg_series *s, const lg_sample *sample)
{
	if (s == NULL || sample == NULL)
		return LG_EINVAL;
	if (s->len == s->cap) {
		size_t cap = s->cap ? s->cap : SERIES_FIRST_CAP / 2;
		lg_sample *p;

		if (cap > SIZE_MAX / 2 / sizeof(*p))
			return LG_ENOMEM;
		cap *= 2;
		p = realloc(s->samples, cap * sizeof(*p));
		if (p == NULL)
			return LG_ENOMEM;
		s->samples = p;
		s->cap = cap;
	}
	s->samples[s->len++] = *sample;
	return LG_OK;
}

/* Frees the samples and leaves an empty series (with the same `available`) that may be
 * appended to or released again. Accepts NULL and a zeroed series. */
void lg_series_release(lg_series *s)
{
	if (s == NULL)
		return;
	free(s->samples);
	s->samples = NULL;
	s->len = 0;
	s->cap = 0;
}

size_t lg_series_warmup(const lg_series *s)
{
	size_t i = 0;

	if (s == NULL || s->samples == NULL)
		return 0;
	while (i < s->len && s->samples[i].warmup != 0)
		i++;
	return i;
}
