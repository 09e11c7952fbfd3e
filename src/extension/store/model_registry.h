/*
 * model_registry.h: the model store's own interfaces between its files (server side).
 *
 *   model_store.c    shared control block, DSM segments, backend attachments
 *   model_segment.c  creating a model's DSM segment (a clear error when /dev/shm is short)
 *   model_acquire.c  vf_model_acquire: shared memory, else a reload from the catalog
 *   model_load.c     (path, options) -> kind, architecture, image, sha256
 *   model_hash.c     what a model's content sha256 is
 *   model_catalog.c  the persisted catalog table and reload after a shared-memory reset
 *   model_sql.c      load_model, unload_model, the models view, model_checksum
 * Other modules use model_store.h only.
 */
#ifndef VARFORMER_MODEL_REGISTRY_H
#define VARFORMER_MODEL_REGISTRY_H

#include "postgres.h"

#include "store/model_store.h"
#include "store/sha256.h"

#define VF_ARCH_LEN 32

/* What load_model / the catalog know about a model before it is in shared memory. */
typedef struct VfModelBuild
{
	VfModelKind kind;
	char		arch[VF_ARCH_LEN];
	int64		parameters;
	void	   *image;			/* in seg when seg is set, else malloc'd (aligned_alloc) */
	size_t		size;
	struct dsm_segment *seg;	/* built in place in a new DSM segment; register adopts it */
	uint8		sha256[VF_SHA256_LEN];
} VfModelBuild;

typedef enum VfRegisterResult
{
	VF_REGISTER_LOADED,
	VF_REGISTER_UNCHANGED,		/* same name, same bytes: nothing to do */
	VF_REGISTER_REPLACED
} VfRegisterResult;

/* One row of the live registry (current database). */
typedef struct VfModelStatus
{
	char		name[NAMEDATALEN];
	VfModelKind kind;
	char		arch[VF_ARCH_LEN];
	int64		parameters;
	int64		bytes;
	uint8		sha256[VF_SHA256_LEN];
	uint64		generation;
	int32		backends;
	int64		calls;
	int64		image;			/* the segment's handle: names sharing an image show the same */
} VfModelStatus;

/* model_store.c */
extern void vf_model_store_require(void);
/* The model by name, attached in this backend; NULL when shared memory does not hold it. */
extern const VfModelRef *vf_model_store_attach(const char *name);
extern int64 vf_model_store_available(const char *replacing);
extern bool vf_model_store_holds_image(const char *name, const VfModelBuild *b);
extern VfRegisterResult vf_model_store_register(const char *name, VfModelBuild *b,
												bool replace, bool undo_on_abort);
extern void vf_model_name_lock(const char *name, bool lock);
extern bool vf_model_store_unregister(const char *name);
/* unload_model deleted the catalog row version row_xmin of name (caller holds the name lock) */
extern void vf_model_store_note_unload(const char *name, TransactionId row_xmin);
/* Whether that row version was deleted by an unload that stands (see model_store.c). */
extern bool vf_model_store_unloaded(const char *name, TransactionId row_xmin);
extern bool vf_model_store_lookup(const char *name, VfModelStatus *out);
extern int	vf_model_store_list(VfModelStatus **out);
extern int	vf_model_max_memory_mb;
/* varformer.debug_load_pause_at: bytes after which a load pauses (model_load.c), 0 never */
extern int	vf_debug_load_pause_at;

/* model_segment.c: a new DSM segment for what ("model \"x\""); a clear ERROR when it cannot be made */
extern struct dsm_segment *vf_model_segment_create(const char *what, size_t size);

/* model_hash.c */
/*
 * The digest of one file of a model: path (file is its name inside the model's directory,
 * NULL for a model that is one file; weights: it is the weights file); false when the file
 * does not exist.
 */
typedef bool (*VfFileDigestFn) (void *arg, const char *path, const char *file, bool weights,
								uint8 *out);
/* The content sha256 of a model (model_hash.c defines it), its files read to hash them. */
extern void vf_model_content_sha256(const char *path, const char *options_json, uint8 *out);
/* The same for a model of files (path a file or a directory); digest NULL: read them. */
extern void vf_model_files_sha256(const char *path, VfFileDigestFn digest, void *arg,
								  uint8 *out);

/* model_load.c: the image, hashed once on the way (out->sha256) */
extern void vf_model_build(const char *name, const char *path, const char *options_json,
						   int64 max_bytes, VfModelBuild *out);
extern void vf_model_build_free(VfModelBuild *b);
extern int	vf_model_kind_early(const char *path, bool ensemble);
/*
 * True when path is a directory whose config.json names a model made of its own checkpoint
 * and its encoder/ (kind fused or embedding head); *window (may be NULL) gets the bases it
 * reads around a TSS (the trunk's window, or the encoder's for an embedding head), *kind
 * (may be NULL) its kind.
 */
extern bool vf_model_path_has_encoder_dir(const char *path, int *window, VfModelKind *kind);

/*
 * What load_model records besides the image: the options as stored (canonical jsonb text,
 * without "replace", with the reference and annotation resolved) and, for a model with a "window" option,
 * the reference and gene annotation it is bound to (model_catalog.c explains why).
 */
typedef struct VfModelBinding
{
	char	   *options;
	char	   *reference;		/* NULL: nothing bound */
	char	   *reference_sha256;
	char	   *annotation;		/* gene_annotation.name the genes come from */
	char	   *annotation_sha256;
	int64		genes;
} VfModelBinding;

/* The catalog's record of a model, for comparing a new load against it (NULL: not bound). */
typedef struct VfCatalogEntry
{
	char	   *sha256;
	char	   *options;
	char	   *reference_sha256;
	char	   *annotation_sha256;
} VfCatalogEntry;

/* model_catalog.c */
extern void vf_model_binding_resolve(const char *name, const char *options_json,
									 VfModelBinding *out);
extern bool vf_model_catalog_get(const char *name, VfCatalogEntry *out);
/* copy_annotation: (re)write model_gene from the gene table, false when it is bind's already */
extern void vf_model_catalog_store(const char *name, const char *path,
								   const VfModelBinding *bind, bool copy_annotation,
								   const VfModelBuild *b);
/* false when there was no row; *row_xmin: the version deleted */
extern bool vf_model_catalog_delete(const char *name, TransactionId *row_xmin);
extern bool vf_model_catalog_reload(const char *name);
extern char *vf_model_catalog_kind(const char *name);
extern char *vf_model_catalog_ensembles_using(const char *name);

#endif
