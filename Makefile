# nncc — a compiler from Lua model scripts to standalone C trainers.
#   make demo   build nncc, emit the MNIST trainer, fetch data, train
#   make test   the whole suite (also under ASan+UBSan)
#   make fuzz SECONDS=600   each libFuzzer harness for that long

CC      ?= cc
WARN     = -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 $(WARN) -D_POSIX_C_SOURCE=200809L $(CFLAGS)
LUA_INC := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
LUA_LIB := $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)
PYTHON_REF ?= /usr/bin/python3

COMPILER = $(wildcard compiler/*.c compiler/ops/*.c)
RUNTIME  = $(wildcard runtime/*.c)
MODELS   = $(basename $(notdir $(wildcard models/*.lua)))
B        = build

all: $(B)/nncc $(B)/libnncc_rt.a

deps:
	@scripts/deps.sh

$(B)/prelude.inc: compiler/kernels/prelude.c
	@mkdir -p $(B)
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@

$(B)/nncc: $(COMPILER) compiler/*.h $(B)/prelude.inc
	$(CC) $(ALL_CFLAGS) $(LUA_INC) -I$(B) -o $@ $(COMPILER) $(LUA_LIB) -lm

$(B)/rt/%.o: runtime/%.c runtime/nncc_rt.h
	@mkdir -p $(B)/rt
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libnncc_rt.a: $(patsubst runtime/%.c,$(B)/rt/%.o,$(RUNTIME))
	ar rcs $@ $^

# generated/ is nncc's output for every model, committed and diffed in CI
generated: $(B)/nncc
	@for m in $(MODELS); do $(B)/nncc models/$$m.lua -o generated/$$m.c || exit 1; done

data: $(B)/synthetic-cifar
	@scripts/fetch-mnist.sh data
	@test -f data/synthetic-cifar-test-labels || $(B)/synthetic-cifar data

$(B)/synthetic-cifar: scripts/synthetic-cifar.c
	@mkdir -p $(B)
	$(CC) $(ALL_CFLAGS) -o $@ $< -lm

# examples/embed.c: a program that owns a trainer (built with -DNNCC_NO_MAIN)
example: $(B)/embed
$(B)/embed: examples/embed.c generated/mnist_logreg.c generated/mnist_logreg.h $(B)/libnncc_rt.a
	$(CC) $(ALL_CFLAGS) -march=native -DNNCC_NO_MAIN -Iruntime -Igenerated -o $@ \
		examples/embed.c generated/mnist_logreg.c $(B)/libnncc_rt.a -lm

MODEL ?= mnist_mlp
train: all data
	$(B)/nncc run models/$(MODEL).lua

demo: deps all data
	$(B)/nncc run models/mnist_mlp.lua

test: deps all data
	@tests/run.sh

# the whole suite with nncc and the trainers under ASan + UBSan only
test-asan: deps all data
	@ASAN_ONLY=1 tests/run.sh

# libFuzzer: the front end, the data loaders, the checkpoint reader, each
# for SECONDS (tests/fuzz/run.sh; build/fuzz/ keeps corpora and crashes)
SECONDS ?= 20
FUZZ_CC  = clang
FUZZ_CFLAGS = -std=c11 $(WARN) -D_POSIX_C_SOURCE=200809L -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ = $(B)/fuzz/fuzz_front $(B)/fuzz/fuzz_data $(B)/fuzz/fuzz_ckpt
fuzz: $(FUZZ)
	@B=$(B) tests/fuzz/run.sh $(SECONDS)

$(B)/fuzz/fuzz_front: tests/fuzz/fuzz_front.c $(COMPILER) compiler/*.h $(B)/prelude.inc
	@mkdir -p $(B)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DNNCC_FUZZ -DNNCC_NO_MAIN $(LUA_INC) -I$(B) \
		-o $@ $< $(COMPILER) $(LUA_LIB) -lm
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(RUNTIME) runtime/nncc_rt.h
	@mkdir -p $(B)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iruntime -o $@ $< $(RUNTIME) -lm

test-reference: all data
	@scripts/deps.sh --reference
	@tests/reference/run.sh

# make bench: nncc against PyTorch on the five reference models, the peak
# FMA rate and the GEMM kernel, one table (bench/README.md).
#   make bench BENCH_ARGS="--json bench.json"      also write every number
#   make bench BENCH_ARGS="--compare bench.json"   the change against a run
bench: all
	@scripts/deps.sh --reference
	@B=$(B) PYTHON_REF=$(PYTHON_REF) bench/run.sh $(BENCH_ARGS)

# make bench-fusion: every model fused and unfused, one table (bench/fusion.sh)
bench-fusion: all
	@B=$(B) bench/fusion.sh

# make graphs: every model's graph as SVG (Graphviz), fused kernels boxed
graphs: $(B)/nncc
	@scripts/deps.sh --graphs
	@mkdir -p $(B)/graphs
	@for m in $(MODELS); do \
		$(B)/nncc models/$$m.lua --dot $(B)/graphs/$$m.dot && \
		dot -Tsvg $(B)/graphs/$$m.dot -o $(B)/graphs/$$m.svg || exit 1; \
		echo "$(B)/graphs/$$m.svg"; \
	done

.PHONY: all deps generated data train demo test test-asan fuzz test-reference example bench bench-fusion graphs clean
clean:
	rm -rf $(B) .nncc

# tests/test_plan.c: the memory planner on random graphs, linked with the
# compiler's sources but main.c
$(B)/test_plan: tests/test_plan.c $(filter-out compiler/main.c,$(COMPILER)) compiler/*.h $(B)/prelude.inc
	$(CC) $(ALL_CFLAGS) $(LUA_INC) -I$(B) -Icompiler -o $@ tests/test_plan.c \
		$(filter-out compiler/main.c,$(COMPILER)) $(LUA_LIB) -lm
