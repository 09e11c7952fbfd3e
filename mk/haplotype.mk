# haplotype module: plain-C tests outside the server (ASan/UBSan).
#  - haplotype_driver: the builder over a VCF read with htslib, compared with bcftools
#    consensus on random VCFs by test/checks/30_haplotype_fuzz.sh
#  - gtf_test: the GTF line parser, run by test/checks/30_haplotype_files.sh
build/unit/haplotype_driver: test/unit/haplotype_driver.c src/haplotype.c src/error.c include/varformer/haplotype.h include/varformer/calls.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ test/unit/haplotype_driver.c src/haplotype.c src/error.c $(HTS_LIBS)

build/unit/gtf_test: test/unit/gtf_test.c src/gtf.c src/error.c include/varformer/gtf.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ test/unit/gtf_test.c src/gtf.c src/error.c
