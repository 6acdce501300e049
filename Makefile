# conntrack-tools, rebuilt.  `make` builds the programs, `make check` runs
# every test suite, `make static-musl` builds static binaries against musl.
#
# Private build trees: make BUILD=/tmp/bX BINDIR=/tmp/bX
# Cross builds: make CROSS_COMPILE=aarch64-linux-gnu- (or CXX=..., AR=...,
# STRIP=...); an explicit CXX/AR/STRIP wins over CROSS_COMPILE.
CROSS_COMPILE ?=
ifeq ($(origin CXX),default)
CXX      := $(CROSS_COMPILE)g++
endif
ifeq ($(origin AR),default)
AR       := $(CROSS_COMPILE)ar
endif
CXXFLAGS ?= -O2 -g
PREFIX   ?= /usr/local
DESTDIR  ?=
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL  ?= install
STRIP    ?= $(CROSS_COMPILE)strip

# `make check SANITIZE=1`: every object, program, tool and the unit tests
# built with ASan+UBSan in their own tree (build-san/), so the normal
# objects are never clobbered, and every test run against them; any report
# aborts the program, so the test that ran it fails.
ifeq ($(SANITIZE),1)
BUILD    ?= build-san
BINDIR   ?= build-san
# vptr checks need RTTI, which only the unit tests have: off, so both link.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
CXXFLAGS += $(SAN_FLAGS)
LDFLAGS  += $(SAN_FLAGS)
export ASAN_OPTIONS ?= abort_on_error=0:detect_leaks=1:exitcode=86
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
endif
# `make fuzz` re-runs make with FUZZ=1: clang, libFuzzer's coverage
# instrumentation plus ASan+UBSan on every object, in build-fuzz/obj/.
ifeq ($(FUZZ),1)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
CXXFLAGS += -fsanitize=fuzzer-no-link $(FUZZ_SAN) -DFUZZ_LIBFUZZER
endif
BUILD    ?= build
BINDIR   ?= .
MUSL_BUILD ?= build-musl
GLIBC_STATIC_BUILD ?= build-static
WARN     := -Wall -Wextra -Werror
# No exceptions, RTTI or iostreams anywhere: static musl builds rely on it.
LANGFLAGS := -std=c++20 -fno-exceptions -fno-rtti
# Headers: "base/out_buf.h", "ct_uapi.h" or "uapi-compat/ct_uapi.h".
CPPFLAGS_ALL := -Isrc -Iuapi-compat -I. $(CPPFLAGS)
ALL_CXXFLAGS := $(LANGFLAGS) $(WARN) $(CXXFLAGS)
LINK_FLAGS = $(LDFLAGS)
LINK_PRE :=
LINK_POST :=

# ---- static musl mode (set by `make static-musl`, which re-runs make) -----
# Debian's musl-tools: musl's C headers and libc.a, no C++ library.  We use
# g++'s own C++ headers on top of musl's C headers, and link musl's startup
# files, libc.a and libgcc.a by hand.  See docs/ARCHITECTURE.md.
ifeq ($(MUSL),1)
MUSL_INC  ?= /usr/include/x86_64-linux-musl
MUSL_LIB  ?= /usr/lib/x86_64-linux-musl
# g++'s C++ include dirs, in g++'s order (the ones with "c++" in the path).
GXX_INC   := $(shell $(CXX) -v -E -x c++ /dev/null 2>&1 | \
               sed -n '/^\#include <\.\.\.> search starts here/,/^End of search list/p' | \
               grep -E '/c\+\+' | sed 's/^ *//')
# g++'s own dir (stddef.h, stdarg.h, intrinsics) comes after musl's.
GCC_INC   := $(shell $(CXX) -print-file-name=include)
LIBGCC    := $(shell $(CXX) -print-libgcc-file-name)
RUNTIME_DIR := src/base/static_runtime
CPPFLAGS_ALL := -nostdinc $(addprefix -isystem ,$(GXX_INC) $(MUSL_INC) $(GCC_INC)) \
                -include $(RUNTIME_DIR)/glibc_compat.h $(CPPFLAGS_ALL)
# -flto: one copy of what inlining duplicated across files (~4 KB of 140).
# Size first (MUSL_OPT), except the files every entry of a listing goes
# through (MUSL_HOT_SRC, MUSL_HOT_OPT): parse, filter, print, buffers and
# the receive path, so that the static `conntrack -L` is as fast as the
# dynamic one (tools/bench_list.sh with CONNTRACK/UPSTREAM set to both).
MUSL_OPT  ?= -Os -flto=auto
# The hot files' -O2 without what costs bytes but not time here (measured
# on `-L` of 200k flows): no alignment padding of functions, loops and
# jump targets, no vectorizer, the simple block-reordering: ~2 KB.
MUSL_HOT_OPT ?= -O2 -flto=auto -falign-functions=1 -falign-jumps=1 -falign-loops=1 \
                -falign-labels=1 -fno-tree-vectorize -freorder-blocks-algorithm=simple
MUSL_HOT_SRC ?= src/netlink/attr.cc src/ct/flow_parse.cc src/base/out_buf.cc \
                src/ct/flow_print_text.cc src/ct/flow_print_xml.cc
OBJ_OPT    = $(MUSL_OPT)
ALL_CXXFLAGS += -fno-pie -fno-asynchronous-unwind-tables \
                -fno-stack-protector -ffunction-sections -fdata-sections
# noseparate-code: text and rodata share one segment (saves ~8 KB of padding);
# norelro: the data segment follows the text directly instead of starting a
# page-aligned RELRO region (saves ~2 KB of padding; a static binary without
# relocations has nothing to protect there but .init_array);
# common-page-size=16: ld would otherwise start the data segment on a fresh
# page to save a page of memory, padding the file with up to 4 KB of zeros;
# now the data follows the text in the file (pages stay 4 KB aligned).
# -flto-partition=one: one link-time unit, so nothing is duplicated
# across partitions (~0.4 KB).
LINK_FLAGS = $(LDFLAGS) -static -nostdlib -no-pie -flto-partition=one \
             -Wl,--gc-sections -Wl,-z,noseparate-code \
             -Wl,-z,norelro -Wl,--build-id=none -Wl,-z,common-page-size=16
# runtime_memcpy.o is linked as an object, not from the archive: LTO emits
# its calls to memcpy after the archives were searched, and libc.a would
# then supply musl's.
MEMCPY_OBJ  := $(BUILD)/$(RUNTIME_DIR)/runtime_memcpy.o
RUNTIME_OBJ := $(filter-out $(MEMCPY_OBJ),$(patsubst %.cc,$(BUILD)/%.o,$(wildcard $(RUNTIME_DIR)/*.cc)))
STATIC_RUNTIME := $(BUILD)/static_runtime.a $(MEMCPY_OBJ)
LINK_PRE  := $(MUSL_LIB)/crt1.o $(MUSL_LIB)/crti.o
LINK_POST := $(MEMCPY_OBJ) $(BUILD)/static_runtime.a -Wl,--start-group $(MUSL_LIB)/libc.a $(LIBGCC) \
             -Wl,--end-group $(MUSL_LIB)/crtn.o
$(patsubst %.cc,$(BUILD)/%.o,$(MUSL_HOT_SRC)): OBJ_OPT = $(MUSL_HOT_OPT)
# Our memcpy/memmove: the compiler must not see them as the builtins they
# define (it would turn their loops into calls to themselves), and LTO must
# not fold them into their callers' idea of memcpy.
$(MEMCPY_OBJ): OBJ_OPT = -O2 -fno-lto -fno-builtin
endif

# ---- static glibc mode (set by `make static`) --------------------------------
# Plain g++/libstdc++/glibc with -static: bigger than musl (glibc's static
# libc is ~700 KB), but needs nothing beyond the normal toolchain.
ifeq ($(GLIBC_STATIC),1)
ALL_CXXFLAGS += -ffunction-sections -fdata-sections
LINK_FLAGS = $(LDFLAGS) -static -Wl,--gc-sections -pthread
endif

# ---- sources: one wildcard per directory ----------------------------------
# src/base/static_runtime/ is deliberately not matched (musl build only).
# A program's main() is found by grep, so unit tests can link the rest.
MAIN_RE  := '^[[:space:]]*int[[:space:]]+main[[:space:]]*\('
main_of   = $(shell grep -lE $(MAIN_RE) $(1) /dev/null 2>/dev/null)

CORE_SRC := $(wildcard src/base/*.cc src/netlink/*.cc src/ct/*.cc src/sync/*.cc src/crypto/*.cc)
CT_SRC   := $(wildcard src/conntrack/*.cc)
CTD_SRC  := $(wildcard src/conntrackd/*.cc src/conntrackd/*/*.cc)
CT_MAIN  := $(call main_of,$(CT_SRC))
CTD_MAIN := $(call main_of,$(CTD_SRC))

obj_of    = $(patsubst %.cc,$(BUILD)/%.o,$(1))
CORE_OBJ := $(call obj_of,$(CORE_SRC))
CT_OBJ   := $(call obj_of,$(CT_SRC))
CTD_OBJ  := $(call obj_of,$(CTD_SRC))
CTLIB_OBJ  := $(call obj_of,$(filter-out $(CT_MAIN),$(CT_SRC)))
CTDLIB_OBJ := $(call obj_of,$(filter-out $(CTD_MAIN),$(CTD_SRC)))

# tests/fuzz/: each file with a FUZZ_TARGET is one libFuzzer program for
# `make fuzz`; the unit tests link them all (and the registry) to replay
# their corpora.
FUZZ_SRC := $(wildcard tests/fuzz/*.cc)
FUZZ_RE  := '^FUZZ_TARGET[(]'
FUZZ_TARGET_SRC := $(shell grep -l $(FUZZ_RE) $(FUZZ_SRC) /dev/null 2>/dev/null)
FUZZ_NAMES := $(basename $(notdir $(FUZZ_TARGET_SRC)))
FUZZ_HELPER_SRC := $(filter-out $(FUZZ_TARGET_SRC) tests/fuzz/registry.cc,$(FUZZ_SRC))
UNIT_SRC := $(wildcard tests/unit/*.cc) $(FUZZ_SRC)
UNIT_OBJ := $(call obj_of,$(UNIT_SRC))

# A deleted source must still trigger a relink: each archive and binary also
# depends on a file holding its object list, rewritten only when it changes.
objlist = $(shell mkdir -p $(BUILD) && f=$(BUILD)/$(1).objs && \
            { echo '$(2)' | cmp -s - $$f || echo '$(2)' >$$f; } && echo $$f)
ifeq ($(filter clean,$(MAKECMDGOALS)),)
CORE_LIST  := $(call objlist,core,$(CORE_OBJ))
CTLIB_LIST := $(call objlist,ctlib,$(CTLIB_OBJ))
CTDLIB_LIST:= $(call objlist,ctdlib,$(CTDLIB_OBJ))
CT_LIST    := $(call objlist,ct,$(CT_OBJ))
CTD_LIST   := $(call objlist,ctd,$(CTD_OBJ))
UNIT_LIST  := $(call objlist,unit,$(UNIT_OBJ))
# Changed compiler or flags (MUSL_OPT, CXXFLAGS, CXX) recompile everything.
FLAGS_LIST := $(call objlist,flags,$(CXX) $(CPPFLAGS_ALL) $(ALL_CXXFLAGS) $(LINK_FLAGS) \
                $(MUSL_OPT) $(MUSL_HOT_OPT) $(MUSL_HOT_SRC))
endif

# conntrackd is built once one of its sources has a main().
PROGRAMS := $(BINDIR)/conntrack $(if $(CTD_MAIN),$(BINDIR)/conntrackd)
MAN8     := $(wildcard man/*.8)
MAN5     := $(wildcard man/*.5)
# One completion file per program, named after it.
BASHCOMP := $(wildcard $(addprefix contrib/bash-completion/,$(notdir $(PROGRAMS))))

.PHONY: all programs clean check unit integration tests install uninstall static-musl static \
        check-static demo fuzz fuzz-bins fuzz-run
all: programs
programs: $(PROGRAMS)
tests: all $(BUILD)/unit_tests tools

$(BUILD)/%.o: %.cc $(FLAGS_LIST)
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS_ALL) $(ALL_CXXFLAGS) $(OBJ_OPT) -MMD -MP -c $< -o $@

$(BUILD)/libcore.a: $(CORE_OBJ) $(CORE_LIST)
	@rm -f $@
	$(AR) rcs $@ $(CORE_OBJ)
$(BUILD)/libconntrack.a: $(CTLIB_OBJ) $(CTLIB_LIST)
	@rm -f $@
	$(AR) rcs $@ $(CTLIB_OBJ)
$(BUILD)/libconntrackd.a: $(CTDLIB_OBJ) $(CTDLIB_LIST)
	@rm -f $@
	$(AR) rcs $@ $(CTDLIB_OBJ)
$(BUILD)/static_runtime.a: $(RUNTIME_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BINDIR)/conntrack: $(CT_OBJ) $(CT_LIST) $(BUILD)/libcore.a $(STATIC_RUNTIME)
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) $(OBJ_OPT) $(LINK_FLAGS) -o $@ $(LINK_PRE) $(CT_OBJ) $(BUILD)/libcore.a $(LINK_POST)

$(BINDIR)/conntrackd: $(CTD_OBJ) $(CTD_LIST) $(BUILD)/libcore.a $(STATIC_RUNTIME)
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) $(OBJ_OPT) $(LINK_FLAGS) -o $@ $(LINK_PRE) $(CTD_OBJ) $(BUILD)/libcore.a $(LINK_POST)

# Unit tests may use exceptions/RTTI (GoogleTest does); the code under test
# is the same objects as in the programs (everything but the main()s).
$(BUILD)/tests/%.o: tests/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS_ALL) -std=c++20 $(WARN) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/unit_tests: $(UNIT_OBJ) $(UNIT_LIST) $(BUILD)/libconntrack.a $(BUILD)/libconntrackd.a $(BUILD)/libcore.a
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(BUILD)/libconntrack.a \
	  $(BUILD)/libconntrackd.a $(BUILD)/libcore.a -lgtest -lgtest_main -pthread

# tests/run_all.sh finds the binaries through these.
TEST_ENV := BUILD=$(BUILD) BINDIR=$(BINDIR) UNIT_TESTS=$(abspath $(BUILD))/unit_tests \
            CONNTRACK=$(abspath $(BINDIR))/conntrack CONNTRACKD=$(abspath $(BINDIR))/conntrackd \
            CT_FILL=$(abspath $(BINDIR))/ct_fill

# CHECK_ARGS: arguments for tests/run_all.sh (--unit, or a list of scripts).
check: tests
	@$(TEST_ENV) tests/run_all.sh $(CHECK_ARGS)
unit: $(BUILD)/unit_tests
	@$(TEST_ENV) tests/run_all.sh --unit
integration: all tools
	@$(TEST_ENV) tests/run_all.sh --integration

# The fail-over test bed (root): DEMO_ARGS="--mode flap --duration 120" etc.
demo: all
	tools/ha_demo.sh $(DEMO_ARGS)

install: all
	$(INSTALL) -d $(DESTDIR)$(SBINDIR)
	$(INSTALL) -m 755 $(PROGRAMS) $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	$(if $(MAN8),$(INSTALL) -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/)
	$(if $(MAN5),$(INSTALL) -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/)
	$(INSTALL) -d $(DESTDIR)$(BASHCOMPDIR)
	$(if $(BASHCOMP),$(INSTALL) -m 644 $(BASHCOMP) $(DESTDIR)$(BASHCOMPDIR)/)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(PROGRAMS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(notdir $(BASHCOMP)))

# Fully static binaries in $(MUSL_BUILD)/, stripped.  A second make run with
# MUSL=1 compiles every object again with the musl flags above.
static-musl:
	@test -f $(firstword $(MUSL_INC) /usr/include/x86_64-linux-musl)/stdio.h || \
	  { echo "static-musl: musl headers missing (apt-get install musl-tools)" >&2; exit 1; }
	$(MAKE) MUSL=1 BUILD=$(MUSL_BUILD)/obj BINDIR=$(MUSL_BUILD) programs
	@for p in $(notdir $(PROGRAMS)); do \
	  $(STRIP) --strip-all -R .comment $(MUSL_BUILD)/$$p && \
	  echo "$(MUSL_BUILD)/$$p: $$(stat -c %s $(MUSL_BUILD)/$$p) bytes stripped, static"; \
	done

# Fully static binaries against glibc in $(GLIBC_STATIC_BUILD)/, stripped.
static:
	$(MAKE) GLIBC_STATIC=1 BUILD=$(GLIBC_STATIC_BUILD)/obj BINDIR=$(GLIBC_STATIC_BUILD) programs
	@for p in $(notdir $(PROGRAMS)); do \
	  $(STRIP) --strip-all -R .comment $(GLIBC_STATIC_BUILD)/$$p && \
	  echo "$(GLIBC_STATIC_BUILD)/$$p: $$(stat -c %s $(GLIBC_STATIC_BUILD)/$$p) bytes stripped, static"; \
	done

# The static binaries are static (no PT_INTERP, no NEEDED) and within their
# size limits, and a subset of the integration tests passes against them.
check-static: static-musl
	tools/check_static.sh $(MUSL_BUILD)

# ---- fuzzing (clang's libFuzzer; Debian: clang libclang-rt-dev) -----------
# `make fuzz`: build-fuzz/fuzz_NAME for each tests/fuzz/NAME.cc target.
# `make fuzz-run FUZZ_SECONDS=N`: each for N seconds from its seed corpus
# (tests/fuzz/corpus/NAME; new inputs go to build-fuzz/corpus/NAME), fails
# on the first crash, leak or sanitizer report (build-fuzz/crashes/).
FUZZ_CXX     ?= clang++
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 20
FUZZ_BINS    := $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_NAMES))
fuzz:
	$(MAKE) FUZZ=1 CXX=$(FUZZ_CXX) BUILD=$(FUZZ_BUILD)/obj FUZZ_BUILD=$(FUZZ_BUILD) fuzz-bins
fuzz-bins: $(FUZZ_BINS)
FUZZ_HELPER_OBJ := $(call obj_of,$(FUZZ_HELPER_SRC))
$(FUZZ_BUILD)/fuzz_%: $(BUILD)/tests/fuzz/%.o $(FUZZ_HELPER_OBJ) $(BUILD)/libconntrack.a \
                      $(BUILD)/libconntrackd.a $(BUILD)/libcore.a
	$(CXX) $(CXXFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(FUZZ_HELPER_OBJ) \
	  $(BUILD)/libconntrack.a $(BUILD)/libconntrackd.a $(BUILD)/libcore.a -pthread
fuzz-run: fuzz
	tools/fuzz_run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

clean:
	rm -rf $(BUILD) $(MUSL_BUILD) $(GLIBC_STATIC_BUILD) build-san build-fuzz $(BINDIR)/conntrack $(BINDIR)/conntrackd \
	  $(patsubst tools/%.cc,$(BINDIR)/%,$(wildcard tools/*.cc))

-include $(CORE_OBJ:.o=.d) $(CT_OBJ:.o=.d) $(CTD_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(RUNTIME_OBJ:.o=.d) $(MEMCPY_OBJ:.o=.d)

# ---- tools/: benchmark helpers (one main() per file), linked to the core --
TOOLS := $(patsubst tools/%.cc,$(BINDIR)/%,$(wildcard tools/*.cc))
.PHONY: tools
tools: $(TOOLS)
$(TOOLS): $(BINDIR)/%: $(BUILD)/tools/%.o $(BUILD)/libcore.a $(STATIC_RUNTIME)
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) $(OBJ_OPT) $(LINK_FLAGS) -o $@ $(LINK_PRE) $< $(BUILD)/libcore.a $(LINK_POST)
-include $(patsubst $(BINDIR)/%,$(BUILD)/tools/%.d,$(TOOLS))
