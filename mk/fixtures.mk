# Generated test inputs: `make fixtures` writes everything the pg_regress tests (sql/) and
# the checks read but that cannot be committed as such (binary files made to be malformed,
# files nobody may read, random-weight checkpoints and their PyTorch goldens). `installcheck`
# and test/run.sh build it first. One rule per set, each rebuilt only when its generator
# or input changes.
#
# The server reads these files as its own OS user, which may not be the user running make:
# everything is made world-readable (a+rX) and build/generated/writable world-writable.
# The path from / to the checkout must be searchable by the server's user as well.
VF_GEN = build/generated
VF_FIXTURE_SETS = embedding genotype haplotype models encoder torch_models predictor dnabert hyena

.PHONY: fixtures fixtures-writable $(addprefix fixtures-,$(VF_FIXTURE_SETS))
fixtures: $(addprefix fixtures-,$(VF_FIXTURE_SETS)) fixtures-writable
$(foreach s,$(VF_FIXTURE_SETS),$(eval fixtures-$(s): $(VF_GEN)/$(s)/.done))

$(VF_GEN):
	mkdir -p $@ && chmod a+rx build $@

# COPY ... (FORMAT binary) files for sql/10_embedding.sql.
$(VF_GEN)/embedding/.done: test/fixtures/embedding/make_binary.sh | $(VF_GEN)
	rm -rf $(@D)
	bash $< $(@D)
	chmod -R a+rX $(@D)
	touch $@

# sql/20_genotype_vcf.sql: a VCF nobody may read (mode 000: refused to every user but root,
# and the server never runs as root).
$(VF_GEN)/genotype/.done: test/fixtures/genotype/sample.vcf | $(VF_GEN)
	rm -rf $(@D) && mkdir -p $(@D)
	cp $< $(@D)/unreadable.vcf
	chmod 000 $(@D)/unreadable.vcf
	chmod a+rx $(@D)
	touch $@

# sql/30_haplotype.sql: an unreadable FASTA, and a FASTA without index in a directory nobody
# may write (so its index cannot be built).
$(VF_GEN)/haplotype/.done: test/fixtures/haplotype/ref.fa test/fixtures/haplotype/noindex.fa | $(VF_GEN)
	if [ -d $(@D)/readonly ]; then chmod u+w $(@D)/readonly; fi
	rm -rf $(@D) && mkdir -p $(@D)/readonly
	cp test/fixtures/haplotype/noindex.fa $(@D)/readonly/noindex.fa
	cp test/fixtures/haplotype/ref.fa $(@D)/unreadable.fa
	chmod -R a+rX $(@D)
	chmod 000 $(@D)/unreadable.fa
	chmod 555 $(@D)/readonly
	touch $@

# Model-store checkpoints (F32/F16/BF16, malformed files) and their goldens (numpy sums,
# hashlib digests; test/checks/40_model_digests.sh compares those with sha256sum).
$(VF_GEN)/models/.done: test/fixtures/models/make_models.py | $(VF_GEN)
	rm -rf $(@D)
	$(PYTHON) $< $(@D)
	chmod -R a+rX $(@D)
	touch $@

# Random-weight encoder checkpoints with the real tensor names and config.json keys, and
# their PyTorch goldens (test/reference/); test/checks/50_encoder_parity.sh compares these
# goldens with the committed ones and runs the plain-C encoder on them.
$(VF_GEN)/encoder/.done: $(wildcard test/reference/*.py) $(wildcard test/fixtures/tokenizer/*) | $(VF_GEN)
	rm -rf $(@D)
	$(PYTHON) test/reference/make_encoder_fixtures.py $(@D)/models $(@D)/goldens
	chmod -R a+rX $(@D)
	touch $@

# Random-weight DNABERT v1 checkpoints (authors' tensor names, config.json and vocab.txt; each
# as safetensors and as torch.save's pytorch_model.bin) and the token ids and hidden states of
# the PyTorch reference (test/reference/make_dnabert_fixtures.py); compared with the committed
# goldens and run through varformer by test/checks/51_dnabert_parity.sh and sql/51_dnabert.sql.
$(VF_GEN)/dnabert/.done: test/reference/make_dnabert_fixtures.py test/reference/dnabert_ref.py test/reference/dnabert_tokenizer_ref.py test/reference/encoders.py test/reference/make_encoder_fixtures.py | $(VF_GEN)
	rm -rf $(@D)
	$(PYTHON) $< $(@D)/models $(@D)/goldens
	chmod -R a+rX $(@D)
	touch $@

# Files the tests make the server write or index (sql/30_haplotype.sql builds missing FASTA
# indexes here, sql/50_encoder_haplotype.sql rewrites a registered FASTA): put back as new
# before every run, or a second run would find the indexes already built and test nothing.
fixtures-writable: | $(VF_GEN)
	rm -rf $(VF_GEN)/writable && mkdir -p $(VF_GEN)/writable
	cp test/fixtures/haplotype/noindex.fa $(VF_GEN)/writable/noindex.fa
	bgzip -c test/fixtures/haplotype/ref.fa > $(VF_GEN)/writable/ref.fa.gz
	cp test/fixtures/haplotype/ref.fa $(VF_GEN)/writable/mutable.fa
	chmod 777 $(VF_GEN)/writable
	chmod 666 $(VF_GEN)/writable/*

# sql/41_torch_models.sql: the same random-weight encoders saved as safetensors and with
# torch.save (zip and legacy formats), and each torch directory's digest as sha256sum over its
# files, piped to sha256sum, prints it (the store's definition of a directory's sha256).
$(VF_GEN)/torch_models/.done: test/reference/make_torch_models.py $(wildcard test/reference/encoders.py test/reference/make_encoder_fixtures.py) | $(VF_GEN)
	rm -rf $(@D)
	$(PYTHON) $< $(@D)
	for m in nt_v2 grover; do \
	  ( cd $(@D)/$${m}_torch && sha256sum config.json pytorch_model.bin $$(ls tokenizer.json vocab.txt 2>/dev/null) | sha256sum | cut -d' ' -f1 ) \
	    > $(@D)/$${m}_torch.sha256; \
	done
	chmod -R a+rX $(@D)
	touch $@

# Random-weight HyenaDNA checkpoints (the -hf config.json keys and tensor names), each saved
# as safetensors and with torch.save, and their PyTorch goldens (test/reference/hyena.py);
# test/checks/51_hyena_parity.sh runs the plain-C model and tokenizer on them.
$(VF_GEN)/hyena/.done: test/reference/make_hyena_fixtures.py test/reference/hyena.py | $(VF_GEN)
	rm -rf $(@D)
	$(PYTHON) $< $(@D)/models $(@D)/goldens
	chmod -R a+rX $(@D)
	touch $@

# Random-weight Enformer / gReLU / UKBioFormer checkpoints and their PyTorch goldens
# (test/reference/make_predictor_fixtures.py), plus checkpoints load_model must refuse.
$(VF_GEN)/predictor/.done: $(wildcard test/reference/*.py) $(wildcard test/fixtures/tokenizer/*) | $(VF_GEN)
	rm -rf $(@D)
	$(PYTHON) test/reference/make_predictor_fixtures.py $(@D)/models $(@D)/goldens
	$(PYTHON) test/reference/make_broken_predictors.py $(@D)/models
	chmod -R a+rX $(@D)
	touch $@

# sql/25_hostile_files.sql: FIFOs where files are expected, a GTF line over the cap, invalid
# UTF-8 in each kind of name, positions above 2^31 (test/fixtures/hostile/make_hostile.sh).
.PHONY: fixtures-hostile
fixtures: fixtures-hostile
fixtures-hostile: $(VF_GEN)/hostile/.done
$(VF_GEN)/hostile/.done: test/fixtures/hostile/make_hostile.sh | $(VF_GEN)
	rm -rf $(@D)
	bash $< $(@D)
	chmod -R a+rX $(@D)
	touch $@
