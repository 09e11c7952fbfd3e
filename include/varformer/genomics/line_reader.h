/*
 * line_reader.h: lines of a plain or BGZF-compressed text file with a length cap (plain C).
 *
 * htslib's bgzf_getline reads a line whole, however long: a 3 GB line costs 3 GB of memory
 * and minutes in one call that nothing can cancel. This reader stops at the cap instead,
 * after reading at most cap + one buffer of the line.
 */
#ifndef VARFORMER_LINE_READER_H
#define VARFORMER_LINE_READER_H

#include <stddef.h>

#include <htslib/bgzf.h>

typedef struct VfLineReader
{
	BGZF	   *fp;
	size_t		cap;			/* longest line accepted, in bytes without its newline */
	char	   *line;			/* the current line, NUL-terminated (malloc'd) */
	size_t		len;			/* its length ("\r\n" endings lose the "\r") */
	size_t		alloc;
	char		buf[65536];		/* uncompressed bytes not yet returned */
	size_t		pos;
	size_t		end;
} VfLineReader;

#define VF_LINE_EOF (-1)
#define VF_LINE_IO_ERROR (-2)
#define VF_LINE_TOO_LONG (-3)
#define VF_LINE_NO_MEMORY (-4)

/* Starts reading fp (which stays the caller's to close) with lines capped at cap bytes. */
void		vf_line_reader_init(VfLineReader *r, BGZF *fp, size_t cap);

/*
 * Reads the next line into r->line / r->len. Returns 1, or VF_LINE_EOF at the end,
 * VF_LINE_IO_ERROR when the file cannot be read (truncated, damaged compression),
 * VF_LINE_TOO_LONG when the line exceeds the cap (the reader is then unusable),
 * VF_LINE_NO_MEMORY.
 */
int			vf_line_reader_next(VfLineReader *r);

/* Frees the line buffer (not fp). */
void		vf_line_reader_free(VfLineReader *r);

#endif
