/*
 * torch_pickle.c: a restricted unpickler for PyTorch state_dicts (plain C).
 *
 * A pickle is a program for a stack machine; Python's unpickler runs it, calling whatever
 * globals it names. This one interprets only the opcodes torch.save emits for a state_dict
 * and builds plain data: numbers, strings, tuples, lists, dicts, and two kinds of leaf that
 * stand for PyTorch objects, a storage (from a persistent id) and a tensor (from a REDUCE of
 * torch._utils._rebuild_tensor_v2). The globals it accepts are an allow-list of names that
 * it recognises, not functions that it calls: collections.OrderedDict, the rebuild functions,
 * and the typed storage classes. Any other global, opcode or call shape is refused with its
 * name and offset, so a pickle that would run code under torch.load fails here instead.
 *
 * Objects live in one table and refer to each other by index, so sharing through the memo
 * and even cycles cost nothing and nothing here recurses on the input. Every count (objects,
 * items, memo slots, stack, marks) is capped.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/checkpoint/torch_checkpoint.h"

#define MAX_STACK (1 << 20)
#define MAX_MARKS 4096
#define MAX_ITEMS (1 << 23)

typedef enum ObjType
{
	T_NONE,
	T_BOOL,
	T_INT,
	T_FLOAT,
	T_STR,
	T_TUPLE,
	T_LIST,
	T_DICT,						/* items are key, value, key, value ... */
	T_GLOBAL,
	T_STORAGE,
	T_TENSOR
} ObjType;

static const char *const type_name[] = {
	"None", "bool", "int", "float", "str", "tuple", "list", "dict", "global", "storage", "tensor"
};

typedef enum GlobalId
{
	G_ORDERED_DICT,
	G_REBUILD_TENSOR_V2,
	G_REBUILD_PARAMETER,
	G_STORAGE					/* a typed storage class; its dtype in Obj.dtype */
} GlobalId;

typedef struct Obj
{
	uint8_t		type;
	uint8_t		dtype;			/* T_GLOBAL of a storage class */
	uint32_t	n;				/* items of a container */
	uint32_t	cap;
	union
	{
		int64_t		i;			/* T_BOOL, T_INT; T_GLOBAL: GlobalId; T_STORAGE, T_TENSOR: index */
		double		f;
		struct
		{
			size_t		off;	/* T_STR: bytes in the pickle */
			size_t		len;
		}			s;
		int32_t    *items;
	}			u;
} Obj;

typedef struct Storage
{
	size_t		key_off;
	size_t		key_len;
	VfDtype		dtype;
	int64_t		numel;
} Storage;

typedef struct Tensor
{
	int32_t		storage;
	int64_t		offset;
	int			ndim;
	int64_t		shape[VF_ST_MAX_DIMS];
	int64_t		stride[VF_ST_MAX_DIMS];
} Tensor;

typedef struct Unpickler
{
	const unsigned char *pkl;
	size_t		len;
	size_t		pos;
	size_t		op_pos;			/* offset of the opcode being run, for messages */
	Obj		   *obj;
	int32_t		n_obj,
				cap_obj;
	int32_t    *stack;
	int32_t		sp,
				cap_stack;
	int32_t		marks[MAX_MARKS];
	int			n_marks;
	int32_t    *memo;			/* -1: empty */
	uint32_t	cap_memo;
	uint32_t	n_memo_put;		/* MEMOIZE's next index */
	Storage    *storage;
	int32_t		n_storage,
				cap_storage;
	int32_t    *by_key;			/* open-addressing hash of storage keys: index or -1 */
	uint32_t	cap_by_key;		/* a power of two, at least twice n_storage */
	Tensor	   *tensor;
	int32_t		n_tensor,
				cap_tensor;
	size_t		n_items;		/* container slots allocated, capped */
	bool		legacy;			/* persistent ids of the legacy format (6 fields) */
	bool		out_of_bytes;	/* failed only for want of more input */
	VfError    *err;
} Unpickler;

static const struct
{
	const char *module;
	const char *name;
	GlobalId	id;
	VfDtype		dtype;
}			allowed[] = {
	{"collections", "OrderedDict", G_ORDERED_DICT, VF_DT_F32},
	{"torch._utils", "_rebuild_tensor_v2", G_REBUILD_TENSOR_V2, VF_DT_F32},
	{"torch._utils", "_rebuild_parameter", G_REBUILD_PARAMETER, VF_DT_F32},
	{"torch", "FloatStorage", G_STORAGE, VF_DT_F32},
	{"torch", "HalfStorage", G_STORAGE, VF_DT_F16},
	{"torch", "BFloat16Storage", G_STORAGE, VF_DT_BF16},
	{"torch", "DoubleStorage", G_STORAGE, VF_DT_F64},
	{"torch", "LongStorage", G_STORAGE, VF_DT_I64},
	{"torch", "IntStorage", G_STORAGE, VF_DT_I32},
	{"torch", "ShortStorage", G_STORAGE, VF_DT_I16},
	{"torch", "CharStorage", G_STORAGE, VF_DT_I8},
	{"torch", "ByteStorage", G_STORAGE, VF_DT_U8},
	{"torch", "BoolStorage", G_STORAGE, VF_DT_BOOL},
};

#define N_ALLOWED (sizeof(allowed) / sizeof(allowed[0]))

/* Printable copy of untrusted bytes for a message. */
static const char *
printable(const unsigned char *s, size_t len, char *buf, size_t bufsz)
{
	size_t		n = len < bufsz - 4 ? len : bufsz - 4;

	for (size_t i = 0; i < n; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char) s[i] : '?';
	if (n < len)
		memcpy(buf + n, "...", 4);
	else
		buf[n] = '\0';
	return buf;
}

static int
fail(Unpickler *u, VfErrCode code, const char *what)
{
	return vf_error(u->err, code, "state_dict pickle, opcode at offset %zu: %s", u->op_pos, what);
}

static int
corrupt(Unpickler *u, const char *what)
{
	return fail(u, VF_ERR_CORRUPT, what);
}

static int
need(Unpickler *u, size_t n)
{
	if (n > u->len - u->pos)
	{
		u->out_of_bytes = true;
		return corrupt(u, "the pickle ends inside an opcode's argument");
	}
	return 0;
}

static uint64_t
le(const unsigned char *p, int n)
{
	uint64_t	v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int32_t
new_obj(Unpickler *u, ObjType t)
{
	if (u->n_obj == u->cap_obj)
	{
		int32_t		nc = u->cap_obj ? u->cap_obj * 2 : 256;
		Obj		   *no;

		if (u->n_obj >= VF_TORCH_MAX_OBJECTS)
		{
			fail(u, VF_ERR_LIMIT, "more objects than a state_dict pickle may hold");
			return -1;
		}
		no = realloc(u->obj, sizeof(Obj) * (size_t) nc);
		if (no == NULL)
		{
			fail(u, VF_ERR_NOMEM, "out of memory");
			return -1;
		}
		u->obj = no;
		u->cap_obj = nc;
	}
	memset(&u->obj[u->n_obj], 0, sizeof(Obj));
	u->obj[u->n_obj].type = (uint8_t) t;
	return u->n_obj++;
}

static int
push(Unpickler *u, int32_t o)
{
	if (o < 0)
		return -1;
	if (u->sp == u->cap_stack)
	{
		int32_t		nc = u->cap_stack ? u->cap_stack * 2 : 256;
		int32_t    *ns;

		if (u->sp >= MAX_STACK)
			return fail(u, VF_ERR_LIMIT, "the pickle's stack grows deeper than the limit");
		ns = realloc(u->stack, sizeof(int32_t) * (size_t) nc);
		if (ns == NULL)
			return fail(u, VF_ERR_NOMEM, "out of memory");
		u->stack = ns;
		u->cap_stack = nc;
	}
	u->stack[u->sp++] = o;
	return 0;
}

/* Items above the innermost mark (the mark's stack height in *base). */
static int
mark_base(Unpickler *u, int32_t *base)
{
	if (u->n_marks == 0)
		return corrupt(u, "no MARK on the stack");
	*base = u->marks[--u->n_marks];
	return 0;
}

static int
pop(Unpickler *u, int32_t *o)
{
	int32_t		floor = u->n_marks > 0 ? u->marks[u->n_marks - 1] : 0;

	if (u->sp <= floor)
		return corrupt(u, "stack underflow");
	*o = u->stack[--u->sp];
	return 0;
}

static int
top(Unpickler *u, int32_t *o)
{
	int32_t		floor = u->n_marks > 0 ? u->marks[u->n_marks - 1] : 0;

	if (u->sp <= floor)
		return corrupt(u, "stack underflow");
	*o = u->stack[u->sp - 1];
	return 0;
}

static int
add_items(Unpickler *u, int32_t c, const int32_t *items, uint32_t n)
{
	Obj		   *o = &u->obj[c];

	if (n == 0)
		return 0;
	if (n > o->cap - o->n)
	{
		uint64_t	nc = (uint64_t) o->cap * 2;
		int32_t    *ni;

		if (nc < (uint64_t) o->n + n)
			nc = (uint64_t) o->n + n;
		if (nc < 4)
			nc = 4;
		if (nc - o->cap > MAX_ITEMS - u->n_items || nc > MAX_ITEMS)
			return fail(u, VF_ERR_LIMIT, "more container items than a state_dict pickle may hold");
		ni = realloc(o->u.items, sizeof(int32_t) * (size_t) nc);
		if (ni == NULL)
			return fail(u, VF_ERR_NOMEM, "out of memory");
		u->n_items += (size_t) (nc - o->cap);
		o->u.items = ni;
		o->cap = (uint32_t) nc;
	}
	memcpy(o->u.items + o->n, items, sizeof(int32_t) * n);
	o->n += n;
	return 0;
}

/* A tuple of the stack's items [base, sp), which are popped. */
static int
make_tuple(Unpickler *u, int32_t base)
{
	int32_t		t = new_obj(u, T_TUPLE);

	if (t < 0 || (u->sp > base && add_items(u, t, u->stack + base, (uint32_t) (u->sp - base)) != 0))
		return -1;
	u->sp = base;
	return push(u, t);
}

static int
memo_put(Unpickler *u, uint64_t idx)
{
	int32_t		o = 0;

	if (top(u, &o) != 0)
		return -1;
	if (idx >= VF_TORCH_MAX_MEMO)
		return fail(u, VF_ERR_LIMIT, "memo index beyond the limit");
	if (idx >= u->cap_memo)
	{
		uint32_t	nc = u->cap_memo ? u->cap_memo : 64;
		int32_t    *nm;

		while (nc <= idx)
			nc *= 2;
		nm = realloc(u->memo, sizeof(int32_t) * nc);
		if (nm == NULL)
			return fail(u, VF_ERR_NOMEM, "out of memory");
		for (uint32_t i = u->cap_memo; i < nc; i++)
			nm[i] = -1;
		u->memo = nm;
		u->cap_memo = nc;
	}
	u->memo[idx] = o;
	return 0;
}

static int
memo_get(Unpickler *u, uint64_t idx)
{
	if (idx >= u->cap_memo || u->memo[idx] < 0)
		return corrupt(u, "memo GET of an index never PUT");
	return push(u, u->memo[idx]);
}

static int
global(Unpickler *u, const unsigned char *mod, size_t mod_len, const unsigned char *name,
	   size_t name_len)
{
	char		mb[80],
				nb[80];
	int32_t		g;

	for (size_t i = 0; i < N_ALLOWED; i++)
		if (strlen(allowed[i].module) == mod_len && memcmp(allowed[i].module, mod, mod_len) == 0 &&
			strlen(allowed[i].name) == name_len && memcmp(allowed[i].name, name, name_len) == 0)
		{
			g = new_obj(u, T_GLOBAL);
			if (g < 0)
				return -1;
			u->obj[g].u.i = allowed[i].id;
			u->obj[g].dtype = (uint8_t) allowed[i].dtype;
			return push(u, g);
		}
	vf_error(u->err, VF_ERR_UNSUPPORTED,
			 "state_dict pickle, opcode at offset %zu: global \"%s.%s\" is not allowed",
			 u->op_pos, printable(mod, mod_len, mb, sizeof(mb)), printable(name, name_len, nb, sizeof(nb)));
	vf_error_hint(u->err, "Only a state_dict of tensors can be loaded (as torch.load(weights_only=True) "
				  "allows); this pickle names other Python objects and could run code.");
	return -1;
}

static bool
is(Unpickler *u, int32_t o, ObjType t)
{
	return u->obj[o].type == t;
}

static bool
is_global(Unpickler *u, int32_t o, GlobalId g)
{
	return is(u, o, T_GLOBAL) && u->obj[o].u.i == g;
}

static uint32_t
key_hash(const unsigned char *k, size_t n)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

/* The storage of that key, or n_storage when there is none yet (-1 on failure). */
static int32_t
find_storage(Unpickler *u, const unsigned char *k, size_t n)
{
	if (u->cap_by_key == 0)
		return u->n_storage;
	for (uint32_t h = key_hash(k, n) & (u->cap_by_key - 1);; h = (h + 1) & (u->cap_by_key - 1))
	{
		int32_t		s = u->by_key[h];

		if (s < 0)
			return u->n_storage;
		if (u->storage[s].key_len == n && memcmp(u->pkl + u->storage[s].key_off, k, n) == 0)
			return s;
	}
}

/* Adds storage s to the key hash, growing it to stay at most half full. */
static int
index_storage(Unpickler *u, int32_t s)
{
	if ((uint64_t) u->n_storage * 2 > u->cap_by_key)
	{
		uint32_t	nc = u->cap_by_key ? u->cap_by_key * 2 : 64;
		int32_t    *nb = malloc(sizeof(int32_t) * nc);

		if (nb == NULL)
			return fail(u, VF_ERR_NOMEM, "out of memory");
		for (uint32_t i = 0; i < nc; i++)
			nb[i] = -1;
		free(u->by_key);
		u->by_key = nb;
		u->cap_by_key = nc;
		/* every storage but s is re-added below; s last */
		for (int32_t j = 0; j < u->n_storage; j++)
			if (j != s)
			{
				const Storage *t = &u->storage[j];
				uint32_t	h = key_hash(u->pkl + t->key_off, t->key_len) & (nc - 1);

				while (u->by_key[h] >= 0)
					h = (h + 1) & (nc - 1);
				u->by_key[h] = j;
			}
	}
	{
		const Storage *t = &u->storage[s];
		uint32_t	h = key_hash(u->pkl + t->key_off, t->key_len) & (u->cap_by_key - 1);

		while (u->by_key[h] >= 0)
			h = (h + 1) & (u->cap_by_key - 1);
		u->by_key[h] = s;
	}
	return 0;
}

/*
 * ('storage', StorageClass, key, location, numel): a storage, shared by key. The legacy
 * format adds a sixth field, view metadata, None unless the tensor views a storage view
 * (a feature removed from PyTorch long ago, refused here).
 */
static int
persistent_load(Unpickler *u)
{
	int32_t		pid = 0,
				s;
	const Obj  *t;
	const Obj  *key;
	VfDtype		dt;
	int64_t		numel;

	if (pop(u, &pid) != 0)
		return -1;
	t = &u->obj[pid];
	if (t->type != T_TUPLE || t->n != (u->legacy ? 6u : 5u) || !is(u, t->u.items[0], T_STR) ||
		u->obj[t->u.items[0]].u.s.len != 7 ||
		memcmp(u->pkl + u->obj[t->u.items[0]].u.s.off, "storage", 7) != 0)
		return fail(u, VF_ERR_UNSUPPORTED,
					"persistent id is not ('storage', type, key, location, numel)");
	if (!is_global(u, t->u.items[1], G_STORAGE) || !is(u, t->u.items[2], T_STR) ||
		!is(u, t->u.items[3], T_STR) || !is(u, t->u.items[4], T_INT) || u->obj[t->u.items[4]].u.i < 0 ||
		(u->legacy && !is(u, t->u.items[5], T_NONE)))
		return corrupt(u, "storage persistent id has fields of the wrong types");
	dt = (VfDtype) u->obj[t->u.items[1]].dtype;
	key = &u->obj[t->u.items[2]];
	numel = u->obj[t->u.items[4]].u.i;
	if (key->u.s.len == 0 || key->u.s.len > 256 || memchr(u->pkl + key->u.s.off, '/', key->u.s.len) ||
		memchr(u->pkl + key->u.s.off, '\0', key->u.s.len))
		return corrupt(u, "storage key is empty, too long, or holds '/' or NUL");
	s = find_storage(u, u->pkl + key->u.s.off, key->u.s.len);
	if (s < 0)
		return -1;
	if (s < u->n_storage)
	{
		if (u->storage[s].dtype != dt || u->storage[s].numel != numel)
			return corrupt(u, "one storage key is given two dtypes or sizes");
	}
	else
	{
		if (u->n_storage == u->cap_storage)
		{
			int32_t		nc = u->cap_storage ? u->cap_storage * 2 : 64;
			Storage    *ns;

			if (u->n_storage >= VF_TORCH_MAX_TENSORS)
				return fail(u, VF_ERR_LIMIT, "more storages than the limit");
			ns = realloc(u->storage, sizeof(Storage) * (size_t) nc);
			if (ns == NULL)
				return fail(u, VF_ERR_NOMEM, "out of memory");
			u->storage = ns;
			u->cap_storage = nc;
		}
		u->storage[s].key_off = key->u.s.off;
		u->storage[s].key_len = key->u.s.len;
		u->storage[s].dtype = dt;
		u->storage[s].numel = numel;
		u->n_storage++;
		if (index_storage(u, s) != 0)
			return -1;
	}
	{
		int32_t		o = new_obj(u, T_STORAGE);

		if (o < 0)
			return -1;
		u->obj[o].u.i = s;
		return push(u, o);
	}
}

/* A tuple of non-negative ints into dims[]; its length in *nd. */
static int
int_tuple(Unpickler *u, int32_t o, int64_t *dims, int *nd, const char *what)
{
	char		m[96];

	if (!is(u, o, T_TUPLE))
	{
		snprintf(m, sizeof(m), "tensor %s is not a tuple", what);
		return corrupt(u, m);
	}
	if (u->obj[o].n > VF_ST_MAX_DIMS)
	{
		snprintf(m, sizeof(m), "tensor has %u dimensions; at most %d are supported", u->obj[o].n,
				 VF_ST_MAX_DIMS);
		return fail(u, VF_ERR_UNSUPPORTED, m);
	}
	for (uint32_t i = 0; i < u->obj[o].n; i++)
	{
		int32_t		d = u->obj[o].u.items[i];

		if (!is(u, d, T_INT) || u->obj[d].u.i < 0)
		{
			snprintf(m, sizeof(m), "tensor %s holds something other than a non-negative int", what);
			return corrupt(u, m);
		}
		dims[i] = u->obj[d].u.i;
	}
	*nd = (int) u->obj[o].n;
	return 0;
}

/* _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
static int
rebuild_tensor(Unpickler *u, int32_t args)
{
	const Obj  *a = &u->obj[args];
	Tensor		t = {0};
	int			nd_stride;
	int32_t		o = 0;

	if (a->n != 6 && a->n != 7)
		return corrupt(u, "_rebuild_tensor_v2 takes 6 or 7 arguments");
	if (!is(u, a->u.items[0], T_STORAGE) || !is(u, a->u.items[1], T_INT) ||
		u->obj[a->u.items[1]].u.i < 0 || !is(u, a->u.items[4], T_BOOL) ||
		!is(u, a->u.items[5], T_DICT) ||
		(a->n == 7 && !is(u, a->u.items[6], T_DICT) && !is(u, a->u.items[6], T_NONE)))
		return corrupt(u, "_rebuild_tensor_v2 arguments have the wrong types");
	t.storage = (int32_t) u->obj[a->u.items[0]].u.i;
	t.offset = u->obj[a->u.items[1]].u.i;
	if (int_tuple(u, a->u.items[2], t.shape, &t.ndim, "size") != 0 ||
		int_tuple(u, a->u.items[3], t.stride, &nd_stride, "stride") != 0)
		return -1;
	if (nd_stride != t.ndim)
		return corrupt(u, "tensor size and stride differ in length");
	if (u->n_tensor == u->cap_tensor)
	{
		int32_t		nc = u->cap_tensor ? u->cap_tensor * 2 : 64;
		Tensor	   *nt;

		if (u->n_tensor >= VF_TORCH_MAX_TENSORS)
			return fail(u, VF_ERR_LIMIT, "more tensors than the limit");
		nt = realloc(u->tensor, sizeof(Tensor) * (size_t) nc);
		if (nt == NULL)
			return fail(u, VF_ERR_NOMEM, "out of memory");
		u->tensor = nt;
		u->cap_tensor = nc;
	}
	u->tensor[u->n_tensor] = t;
	o = new_obj(u, T_TENSOR);
	if (o < 0)
		return -1;
	u->obj[o].u.i = u->n_tensor++;
	return push(u, o);
}

static int
reduce(Unpickler *u)
{
	int32_t		args = 0,
				fn = 0;

	if (pop(u, &args) != 0 || pop(u, &fn) != 0)
		return -1;
	if (!is(u, args, T_TUPLE))
		return corrupt(u, "REDUCE arguments are not a tuple");
	if (is_global(u, fn, G_ORDERED_DICT))
	{
		if (u->obj[args].n != 0)
			return fail(u, VF_ERR_UNSUPPORTED, "OrderedDict is only built empty");
		return push(u, new_obj(u, T_DICT));
	}
	if (is_global(u, fn, G_REBUILD_TENSOR_V2))
		return rebuild_tensor(u, args);
	if (is_global(u, fn, G_REBUILD_PARAMETER))
	{
		const Obj  *a = &u->obj[args];

		/* a Parameter is its tensor: requires_grad and hooks do not matter for inference */
		if (a->n != 3 || !is(u, a->u.items[0], T_TENSOR) || !is(u, a->u.items[1], T_BOOL) ||
			!is(u, a->u.items[2], T_DICT))
			return corrupt(u, "_rebuild_parameter arguments have the wrong types");
		return push(u, a->u.items[0]);
	}
	{
		char		m[96];

		snprintf(m, sizeof(m), "REDUCE of a %s is not allowed (only OrderedDict and tensor rebuilds)",
				 is(u, fn, T_GLOBAL) ? "storage class" : type_name[u->obj[fn].type]);
		return fail(u, VF_ERR_UNSUPPORTED, m);
	}
}

static int
setitems(Unpickler *u, int32_t base)
{
	int32_t		d;

	if ((u->sp - base) % 2 != 0)
		return corrupt(u, "SETITEMS with an odd number of items");
	/* the dict lies below the items (and below the mark, already popped) */
	if (base < 1 || (u->n_marks > 0 && base - 1 < u->marks[u->n_marks - 1]))
		return corrupt(u, "SETITEM without a dict below its items");
	d = u->stack[base - 1];
	if (!is(u, d, T_DICT))
		return corrupt(u, "SETITEM on something other than a dict");
	if (add_items(u, d, u->stack + base, (uint32_t) (u->sp - base)) != 0)
		return -1;
	u->sp = base;
	return 0;
}

static int
appends(Unpickler *u, int32_t base)
{
	int32_t		l;

	if (base < 1 || (u->n_marks > 0 && base - 1 < u->marks[u->n_marks - 1]))
		return corrupt(u, "APPEND without a list below its items");
	l = u->stack[base - 1];
	if (!is(u, l, T_LIST))
		return corrupt(u, "APPEND to something other than a list");
	if (add_items(u, l, u->stack + base, (uint32_t) (u->sp - base)) != 0)
		return -1;
	u->sp = base;
	return 0;
}

static int
push_str(Unpickler *u, uint64_t len)
{
	int32_t		o = 0;

	if (len > u->len - u->pos)
	{
		u->out_of_bytes = true;
		return corrupt(u, "string runs past the end of the pickle");
	}
	o = new_obj(u, T_STR);
	if (o < 0)
		return -1;
	u->obj[o].u.s.off = u->pos;
	u->obj[o].u.s.len = (size_t) len;
	u->pos += (size_t) len;
	return push(u, o);
}

static int
push_int(Unpickler *u, int64_t v)
{
	int32_t		o = new_obj(u, T_INT);

	if (o < 0)
		return -1;
	u->obj[o].u.i = v;
	return push(u, o);
}

/*
 * The opcodes this unpickler knows, named as in Python's pickletools, so that each step
 * below can be checked against the protocol's definition.
 */
enum
{
	OP_PROTO = 0x80,
	OP_FRAME = 0x95,
	OP_STOP = '.',
	OP_MARK = '(',
	OP_BINPUT = 'q',
	OP_LONG_BINPUT = 'r',
	OP_MEMOIZE = 0x94,
	OP_BINGET = 'h',
	OP_LONG_BINGET = 'j',
	OP_NONE = 'N',
	OP_NEWTRUE = 0x88,
	OP_NEWFALSE = 0x89,
	OP_BININT = 'J',
	OP_BININT1 = 'K',
	OP_BININT2 = 'M',
	OP_LONG1 = 0x8a,
	OP_BINFLOAT = 'G',
	OP_BINUNICODE = 'X',
	OP_SHORT_BINUNICODE = 0x8c,
	OP_BINUNICODE8 = 0x8d,
	OP_EMPTY_DICT = '}',
	OP_EMPTY_LIST = ']',
	OP_EMPTY_TUPLE = ')',
	OP_TUPLE = 't',
	OP_TUPLE1 = 0x85,
	OP_TUPLE2 = 0x86,
	OP_TUPLE3 = 0x87,
	OP_SETITEM = 's',
	OP_SETITEMS = 'u',
	OP_APPEND = 'a',
	OP_APPENDS = 'e',
	OP_GLOBAL = 'c',
	OP_STACK_GLOBAL = 0x93,
	OP_REDUCE = 'R',
	OP_BINPERSID = 'Q',
	OP_BUILD = 'b'
};

/*
 * Each family of opcodes below returns 0 when it ran the opcode, -1 when the opcode failed,
 * and NOT_MINE when the opcode belongs to another family, so that the dispatch loop can ask
 * them in turn and a refused opcode is whatever none of them claims.
 */
#define NOT_MINE 1

/* Framing, marks and the memo: they move objects about without making any. */
static int
stack_op(Unpickler *u, unsigned char op)
{
	switch (op)
	{
		case OP_PROTO:
			if (need(u, 1) != 0)
				return -1;
			if (u->pkl[u->pos] < 2 || u->pkl[u->pos] > 5)
				return fail(u, VF_ERR_UNSUPPORTED, "pickle protocol is not 2 to 5");
			u->pos++;
			return 0;
		case OP_FRAME:			/* framing is only a read-ahead hint */
			if (need(u, 8) != 0)
				return -1;
			u->pos += 8;
			return 0;
		case OP_MARK:
			if (u->n_marks == MAX_MARKS)
				return fail(u, VF_ERR_LIMIT, "MARKs nest deeper than the limit");
			u->marks[u->n_marks++] = u->sp;
			return 0;
		case OP_BINPUT:
			if (need(u, 1) != 0 || memo_put(u, u->pkl[u->pos]) != 0)
				return -1;
			u->pos += 1;
			return 0;
		case OP_LONG_BINPUT:
			if (need(u, 4) != 0 || memo_put(u, le(u->pkl + u->pos, 4)) != 0)
				return -1;
			u->pos += 4;
			return 0;
		case OP_MEMOIZE:
			if (memo_put(u, u->n_memo_put) != 0)
				return -1;
			u->n_memo_put++;
			return 0;
		case OP_BINGET:
			if (need(u, 1) != 0 || memo_get(u, u->pkl[u->pos]) != 0)
				return -1;
			u->pos += 1;
			return 0;
		case OP_LONG_BINGET:
			if (need(u, 4) != 0 || memo_get(u, le(u->pkl + u->pos, 4)) != 0)
				return -1;
			u->pos += 4;
			return 0;
		default:
			return NOT_MINE;
	}
}

/* LONG1: an n-byte two's complement integer; wider than 64 bits is no tensor's size or offset. */
static int
push_long1(Unpickler *u)
{
	int			n;
	uint64_t	v;

	if (need(u, 1) != 0)
		return -1;
	n = u->pkl[u->pos++];
	if (n > 8)
		return fail(u, VF_ERR_UNSUPPORTED, "integer wider than 64 bits");
	if (need(u, (size_t) n) != 0)
		return -1;
	v = le(u->pkl + u->pos, n);
	if (n > 0 && n < 8 && (u->pkl[u->pos + n - 1] & 0x80))
		v |= ~(uint64_t) 0 << (8 * n);	/* sign-extend */
	u->pos += (size_t) n;
	return push_int(u, (int64_t) v);
}

/* BINFLOAT: unlike every other number in a pickle, the double is big-endian. */
static int
push_binfloat(Unpickler *u)
{
	uint64_t	bits = 0;
	int32_t		o;

	if (need(u, 8) != 0)
		return -1;
	for (int i = 0; i < 8; i++)
		bits = (bits << 8) | u->pkl[u->pos + i];
	u->pos += 8;
	o = new_obj(u, T_FLOAT);
	if (o < 0)
		return -1;
	memcpy(&u->obj[o].u.f, &bits, 8);
	return push(u, o);
}

/* Constants: None, booleans, integers, floats and strings, each pushed as a new object. */
static int
constant_op(Unpickler *u, unsigned char op)
{
	int32_t		o;

	switch (op)
	{
		case OP_NONE:
			return push(u, new_obj(u, T_NONE));
		case OP_NEWTRUE:
		case OP_NEWFALSE:
			o = new_obj(u, T_BOOL);
			if (o < 0)
				return -1;
			u->obj[o].u.i = op == OP_NEWTRUE;
			return push(u, o);
		case OP_BININT:
			if (need(u, 4) != 0 || push_int(u, (int32_t) (uint32_t) le(u->pkl + u->pos, 4)) != 0)
				return -1;
			u->pos += 4;
			return 0;
		case OP_BININT1:
			if (need(u, 1) != 0 || push_int(u, u->pkl[u->pos]) != 0)
				return -1;
			u->pos += 1;
			return 0;
		case OP_BININT2:
			if (need(u, 2) != 0 || push_int(u, (int64_t) le(u->pkl + u->pos, 2)) != 0)
				return -1;
			u->pos += 2;
			return 0;
		case OP_LONG1:
			return push_long1(u);
		case OP_BINFLOAT:
			return push_binfloat(u);
		/* the string's length comes first; push_str checks that its bytes are there */
		case OP_BINUNICODE:
			if (need(u, 4) != 0)
				return -1;
			u->pos += 4;
			return push_str(u, le(u->pkl + u->pos - 4, 4));
		case OP_SHORT_BINUNICODE:
			if (need(u, 1) != 0)
				return -1;
			u->pos += 1;
			return push_str(u, u->pkl[u->pos - 1]);
		case OP_BINUNICODE8:
			if (need(u, 8) != 0)
				return -1;
			u->pos += 8;
			return push_str(u, le(u->pkl + u->pos - 8, 8));
		default:
			return NOT_MINE;
	}
}

/* Containers: making empty dicts, lists and tuples, tuples of stack items, and filling them. */
static int
container_op(Unpickler *u, unsigned char op)
{
	int32_t		base = 0;

	switch (op)
	{
		case OP_EMPTY_DICT:
			return push(u, new_obj(u, T_DICT));
		case OP_EMPTY_LIST:
			return push(u, new_obj(u, T_LIST));
		case OP_EMPTY_TUPLE:
			return push(u, new_obj(u, T_TUPLE));
		case OP_TUPLE:
			if (mark_base(u, &base) != 0)
				return -1;
			return make_tuple(u, base);
		case OP_TUPLE1:
		case OP_TUPLE2:
		case OP_TUPLE3:
			{
				int32_t		n = op - (OP_TUPLE1 - 1);
				int32_t		floor = u->n_marks > 0 ? u->marks[u->n_marks - 1] : 0;

				/* the items must lie above the innermost mark, as pop() requires */
				if (u->sp - floor < n)
					return corrupt(u, "stack underflow");
				return make_tuple(u, u->sp - n);
			}
		case OP_SETITEM:
			if (u->sp < 3 || (u->n_marks > 0 && u->sp - 3 < u->marks[u->n_marks - 1]))
				return corrupt(u, "SETITEM without a dict, key and value");
			return setitems(u, u->sp - 2);
		case OP_SETITEMS:
			if (mark_base(u, &base) != 0)
				return -1;
			return setitems(u, base);
		case OP_APPEND:
			if (u->sp < 2 || (u->n_marks > 0 && u->sp - 2 < u->marks[u->n_marks - 1]))
				return corrupt(u, "APPEND without a list and a value");
			return appends(u, u->sp - 1);
		case OP_APPENDS:
			if (mark_base(u, &base) != 0)
				return -1;
			return appends(u, base);
		default:
			return NOT_MINE;
	}
}

/* GLOBAL: "module\nname\n" inline; both names must end inside the pickle. */
static int
global_inline(Unpickler *u)
{
	const unsigned char *m = u->pkl + u->pos;
	const unsigned char *e1 = memchr(m, '\n', u->len - u->pos);
	const unsigned char *e2;

	if (e1 == NULL || (e2 = memchr(e1 + 1, '\n', u->len - (size_t) (e1 + 1 - u->pkl))) == NULL)
	{
		u->out_of_bytes = true;
		return corrupt(u, "the pickle ends inside a GLOBAL's two newline-terminated names");
	}
	u->pos = (size_t) (e2 + 1 - u->pkl);
	return global(u, m, (size_t) (e1 - m), e1 + 1, (size_t) (e2 - e1 - 1));
}

/*
 * PyTorch objects: globals (only the allow-list), REDUCE (only the calls a state_dict makes),
 * persistent ids (storages) and BUILD (only a dict's attributes, _metadata, which are dropped).
 */
static int
object_op(Unpickler *u, unsigned char op)
{
	int32_t		a = 0,
				b = 0;

	switch (op)
	{
		case OP_GLOBAL:
			return global_inline(u);
		case OP_STACK_GLOBAL:
			if (pop(u, &b) != 0 || pop(u, &a) != 0)
				return -1;
			if (!is(u, a, T_STR) || !is(u, b, T_STR))
				return corrupt(u, "STACK_GLOBAL of something other than two strings");
			return global(u, u->pkl + u->obj[a].u.s.off, u->obj[a].u.s.len,
						  u->pkl + u->obj[b].u.s.off, u->obj[b].u.s.len);
		case OP_REDUCE:
			return reduce(u);
		case OP_BINPERSID:
			return persistent_load(u);
		case OP_BUILD:
			if (pop(u, &b) != 0 || top(u, &a) != 0)
				return -1;
			if (!is(u, a, T_DICT) || !(is(u, b, T_DICT) || is(u, b, T_NONE)))
				return fail(u, VF_ERR_UNSUPPORTED, "BUILD of something other than a dict's attributes");
			return 0;
		default:
			return NOT_MINE;
	}
}

/* Any other opcode (INST, OBJ, NEWOBJ, EXT*, the text protocol 0 ones ...) is refused by name. */
static int
refuse_op(Unpickler *u, unsigned char op)
{
	char		m[96];

	if (op >= 0x20 && op < 0x7f)
		snprintf(m, sizeof(m), "opcode 0x%02x ('%c') is not allowed in a state_dict pickle", op, op);
	else
		snprintf(m, sizeof(m), "opcode 0x%02x is not allowed in a state_dict pickle", op);
	return fail(u, VF_ERR_UNSUPPORTED, m);
}

/* Runs the pickle to STOP; *result is the object it returns. */
static int
run(Unpickler *u, int32_t *result)
{
	for (;;)
	{
		unsigned char op;
		int			rc;

		if (u->pos >= u->len)
		{
			u->out_of_bytes = true;
			return corrupt(u, "the pickle ends without STOP");
		}
		u->op_pos = u->pos;
		op = u->pkl[u->pos++];
		if (op == OP_STOP)
			return pop(u, result) != 0 ? -1 : 0;
		rc = stack_op(u, op);
		if (rc == NOT_MINE)
			rc = constant_op(u, op);
		if (rc == NOT_MINE)
			rc = container_op(u, op);
		if (rc == NOT_MINE)
			rc = object_op(u, op);
		if (rc == NOT_MINE)
			rc = refuse_op(u, op);
		if (rc != 0)
			return -1;
	}
}

static char *
copy_str(const unsigned char *s, size_t len)
{
	char	   *c = malloc(len + 1);

	if (c != NULL)
	{
		memcpy(c, s, len);
		c[len] = '\0';
	}
	return c;
}

void
vf_torch_dict_free(VfTorchDict *d)
{
	for (int i = 0; i < d->n_tensor; i++)
	{
		free(d->tensor[i].name);
		free(d->tensor[i].storage_key);
	}
	free(d->tensor);
	d->tensor = NULL;
	d->n_tensor = 0;
}

/* The state_dict: a dict from names to tensors. */
static int
collect(Unpickler *u, int32_t root, VfTorchDict *out)
{
	const Obj  *d = &u->obj[root];

	if (d->type != T_DICT)
		return vf_error(u->err, VF_ERR_UNSUPPORTED,
						"the pickle holds a %s, not a state_dict (a dict of tensors)", type_name[d->type]);
	out->tensor = calloc(d->n / 2 ? d->n / 2 : 1, sizeof(VfTorchTensor));
	if (out->tensor == NULL)
		return vf_error(u->err, VF_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i + 1 < d->n; i += 2)
	{
		const Obj  *k = &u->obj[d->u.items[i]];
		const Obj  *v = &u->obj[d->u.items[i + 1]];
		VfTorchTensor *t = &out->tensor[out->n_tensor];
		char		nb[96];

		if (k->type != T_STR || k->u.s.len == 0 || k->u.s.len > VF_ST_MAX_NAME ||
			memchr(u->pkl + k->u.s.off, '\0', k->u.s.len) != NULL)
			return vf_error(u->err, VF_ERR_CORRUPT,
							"state_dict key %u is not a name (a non-empty string without NUL, at most %d bytes)",
							i / 2, VF_ST_MAX_NAME);
		if (v->type != T_TENSOR)
			return vf_error(u->err, VF_ERR_UNSUPPORTED,
							"state_dict entry \"%s\" is a %s, not a tensor",
							printable(u->pkl + k->u.s.off, k->u.s.len, nb, sizeof(nb)), type_name[v->type]);
		{
			const Tensor *ts = &u->tensor[v->u.i];
			const Storage *s = &u->storage[ts->storage];

			t->name = copy_str(u->pkl + k->u.s.off, k->u.s.len);
			t->storage_key = copy_str(u->pkl + s->key_off, s->key_len);
			out->n_tensor++;
			if (t->name == NULL || t->storage_key == NULL)
				return vf_error(u->err, VF_ERR_NOMEM, "out of memory");
			t->dtype = s->dtype;
			t->storage_numel = s->numel;
			t->offset = ts->offset;
			t->ndim = ts->ndim;
			memcpy(t->shape, ts->shape, sizeof(t->shape));
			memcpy(t->stride, ts->stride, sizeof(t->stride));
		}
	}
	return 0;
}

static void
unpickler_free(Unpickler *u)
{
	for (int32_t i = 0; i < u->n_obj; i++)
		if (u->obj[i].type == T_TUPLE || u->obj[i].type == T_LIST || u->obj[i].type == T_DICT)
			free(u->obj[i].u.items);
	free(u->obj);
	free(u->stack);
	free(u->memo);
	free(u->storage);
	free(u->by_key);
	free(u->tensor);
}

int
vf_torch_unpickle_at(const unsigned char *buf, size_t len, size_t *pos, bool legacy,
					 VfTorchDict *out, bool *more, VfError *err)
{
	Unpickler	u = {.pkl = buf, .len = len, .pos = *pos, .legacy = legacy, .err = err};
	int32_t		root;
	int			rc;

	memset(out, 0, sizeof(*out));
	rc = run(&u, &root);
	if (rc == 0)
		rc = collect(&u, root, out);
	if (rc != 0)
		vf_torch_dict_free(out);
	*pos = u.pos;
	if (more)
		*more = rc != 0 && u.out_of_bytes;
	unpickler_free(&u);
	return rc;
}

int
vf_torch_unpickle(const unsigned char *pkl, size_t len, VfTorchDict *out, VfError *err)
{
	size_t		pos = 0;

	return vf_torch_unpickle_at(pkl, len, &pos, false, out, NULL, err);
}

/* torch.save's legacy magic number, 0x1950a86a20f9469cfc6c, as pickled: PROTO 2, LONG1 10, STOP */
static const unsigned char legacy_magic[] = {
	0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'
};

/* and its protocol version, 1001: PROTO 2, BININT2 1001, STOP */
static const unsigned char legacy_protocol[] = {0x80, 0x02, 'M', 0xe9, 0x03, '.'};

static const Obj *
dict_get(Unpickler *u, const Obj *d, const char *key)
{
	size_t		n = strlen(key);

	for (uint32_t i = 0; i + 1 < d->n; i += 2)
	{
		const Obj  *k = &u->obj[d->u.items[i]];

		if (k->type == T_STR && k->u.s.len == n && memcmp(u->pkl + k->u.s.off, key, n) == 0)
			return &u->obj[d->u.items[i + 1]];
	}
	return NULL;
}

int
vf_torch_legacy_prelude(const unsigned char *buf, size_t len, size_t *pos, bool *more, VfError *err)
{
	Unpickler	u = {.pkl = buf, .len = len, .err = err};
	int32_t		root;
	const Obj  *le_flag;
	int			rc = -1;

	*more = false;
	if (len < sizeof(legacy_magic) + sizeof(legacy_protocol))
	{
		*more = true;
		return vf_error(err, VF_ERR_CORRUPT, "the legacy checkpoint is truncated before its header");
	}
	if (memcmp(buf, legacy_magic, sizeof(legacy_magic)) != 0)
		return vf_error(err, VF_ERR_CORRUPT, "not a legacy PyTorch checkpoint (no magic number)");
	if (memcmp(buf + sizeof(legacy_magic), legacy_protocol, sizeof(legacy_protocol)) != 0)
		return vf_error(err, VF_ERR_UNSUPPORTED, "legacy PyTorch checkpoint of a protocol version other than 1001");
	/* sys_info: {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {...}} */
	u.pos = sizeof(legacy_magic) + sizeof(legacy_protocol);
	if (run(&u, &root) != 0)
	{
		*more = u.out_of_bytes;
		goto done;
	}
	if (u.obj[root].type != T_DICT)
	{
		vf_error(err, VF_ERR_CORRUPT, "legacy PyTorch checkpoint: sys_info is not a dict");
		goto done;
	}
	le_flag = dict_get(&u, &u.obj[root], "little_endian");
	if (le_flag == NULL || le_flag->type != T_BOOL || le_flag->u.i != 1)
	{
		vf_error(err, VF_ERR_UNSUPPORTED, "legacy PyTorch checkpoint written on a big-endian machine");
		goto done;
	}
	*pos = u.pos;
	rc = 0;
done:
	unpickler_free(&u);
	return rc;
}

int
vf_torch_legacy_keys(const unsigned char *buf, size_t len, size_t *pos, char ***keys, int *n_keys,
					 bool *more, VfError *err)
{
	Unpickler	u = {.pkl = buf, .len = len, .pos = *pos, .err = err};
	int32_t		root;
	int			rc = -1;
	const Obj  *l;

	*keys = NULL;
	*n_keys = 0;
	*more = false;
	if (run(&u, &root) != 0)
	{
		*more = u.out_of_bytes;
		goto done;
	}
	l = &u.obj[root];
	if (l->type != T_LIST || l->n > VF_TORCH_MAX_TENSORS)
	{
		vf_error(err, VF_ERR_CORRUPT, "legacy PyTorch checkpoint: the storage keys are not a list");
		goto done;
	}
	*keys = calloc(l->n ? l->n : 1, sizeof(char *));
	if (*keys == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (uint32_t i = 0; i < l->n; i++)
	{
		const Obj  *k = &u.obj[l->u.items[i]];

		if (k->type != T_STR)
		{
			vf_error(err, VF_ERR_CORRUPT, "legacy PyTorch checkpoint: storage key %u is not a string", i);
			goto done;
		}
		(*keys)[i] = copy_str(u.pkl + k->u.s.off, k->u.s.len);
		(*n_keys)++;
		if ((*keys)[i] == NULL)
		{
			vf_error(err, VF_ERR_NOMEM, "out of memory");
			goto done;
		}
	}
	*pos = u.pos;
	rc = 0;
done:
	if (rc != 0 && *keys != NULL)
	{
		for (int i = 0; i < *n_keys; i++)
			free((*keys)[i]);
		free(*keys);
		*keys = NULL;
		*n_keys = 0;
	}
	unpickler_free(&u);
	return rc;
}
