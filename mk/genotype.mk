# genotype module: plain-C unit test of the encoding, text form, region parser and contig
# naming helper (ASan/UBSan, no PostgreSQL). Run by test/checks/20_genotype_unit.sh.
GENOTYPE_UNIT_SRCS = src/genotype_codec.c src/genotype_text.c src/region.c src/contig_names.c src/error.c

build/unit/genotype_test: test/unit/genotype_test.c $(GENOTYPE_UNIT_SRCS) $(wildcard include/varformer/*.h)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ test/unit/genotype_test.c $(GENOTYPE_UNIT_SRCS) -lm

# The VCF reader against htslib, on the fixtures and on randomly damaged copies of them.
build/unit/vcf_reader_test: test/unit/vcf_reader_test.c src/vcf_reader.c $(GENOTYPE_UNIT_SRCS) $(wildcard include/varformer/*.h)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ test/unit/vcf_reader_test.c src/vcf_reader.c $(GENOTYPE_UNIT_SRCS) $(HTS_LIBS) -lm
