/*
 * model.c: the generic model handle (model.h) over the architecture table (model_arch.h):
 * detection, then the row's configuration reader, binder and run state, and dispatch of
 * every call to the row's functions (plain C).
 */
#include <stdlib.h>
#include <string.h>

#include "varformer/models/model_arch.h"

struct VfModel
{
	const VfArch *arch;
	void	   *config;
	void	   *weights;
	void	   *state;
	VfModelInfo info;
	void		(*interrupt_hook) (void);
};

/* The row config.json names (model_type, else architectures[0]). */
static const VfArch *
detect(const VfJson *config, VfError *err)
{
	const char *key = vf_json_get_string(config, "model_type", NULL);
	const VfJson *archs = vf_json_get(config, "architectures");
	const VfArch *row;

	if (key == NULL && archs && archs->type == VF_JSON_ARRAY && archs->len > 0 &&
		archs->items[0].type == VF_JSON_STRING)
		key = archs->items[0].str;
	if (key != NULL && (row = vf_arch_lookup(key)) != NULL)
		return row;
	vf_error(err, VF_ERR_UNSUPPORTED, "unsupported model architecture \"%s\"",
			 key ? key : "(config.json has no model_type)");
	vf_error_hint(err, "Supported: %s.", vf_supported_architectures());
	return NULL;
}

VfModel *
vf_model_create(const VfCheckpoint *ckpt, const VfJson *config, VfError *err)
{
	VfModel    *m;
	const VfArch *arch;

	if (config == NULL || config->type != VF_JSON_OBJECT)
	{
		vf_error(err, VF_ERR_DATA, "model has no config.json object");
		return NULL;
	}
	if ((arch = detect(config, err)) == NULL)
		return NULL;
	if (arch->read_config == NULL)
	{
		vf_error(err, VF_ERR_UNSUPPORTED, "architecture \"%s\" loads but has no forward pass", arch->name);
		return NULL;
	}
	if ((m = calloc(1, sizeof(VfModel))) == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	m->arch = arch;
	if ((m->config = arch->read_config(arch, config, ckpt, err)) == NULL ||
		(m->weights = arch->bind(m->config, ckpt, err)) == NULL ||
		(m->state = arch->new_state(m->config, err)) == NULL)
	{
		vf_model_free(m);
		return NULL;
	}
	arch->info(m->config, &m->info);
	return m;
}

void
vf_model_free(VfModel *m)
{
	if (m == NULL)
		return;
	m->arch->release(m->config, m->weights, m->state);
	free(m);
}

const VfArch *
vf_model_arch(const VfModel *m)
{
	return m->arch;
}

const VfModelInfo *
vf_model_info(const VfModel *m)
{
	return &m->info;
}

int
vf_model_output_rows(const VfModel *m, int n)
{
	return m->arch->output_rows(m->config, n);
}

double
vf_model_flops(const VfModel *m, int n)
{
	return m->arch->flops(m->config, n);
}

void
vf_model_set_interrupt_hook(VfModel *m, void (*hook) (void))
{
	m->interrupt_hook = hook;
}

int
vf_model_forward(VfModel *m, const VfModelInput *in, float *out, VfError *err)
{
	return m->arch->forward(m->config, m->weights, m->state, m->interrupt_hook, in, out, err);
}
