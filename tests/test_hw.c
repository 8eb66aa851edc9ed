/*
 * test_hw.c - the GPU database: embedded table, name matching, capabilities, user files.
 *
 * Datasheet values are checked against the datasheet named next to each check; the whole table
 * is cross-checked against the team's reference table (../shared/reference/gpu_specs.tsv).
 */
#include "support/lp_test.h"

#include "llmplan/hw.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const unsigned char lp_data_gpus_tsv[];
extern const size_t lp_data_gpus_tsv_len;

static const lp_gpu *find_ok(const char *name) {
    const lp_gpu *g = NULL;
    lp_error err;
    lp_status st = lp_gpu_find(lp_gpu_db_builtin(), name, &g, &err);
    if (st != LP_OK)
        fail_msg("lp_gpu_find(\"%s\") failed: %s", name, err.message);
    assert_non_null(g);
    return g;
}

static void assert_resolves(const char *name, const char *expected) {
    const lp_gpu *g = find_ok(name);
    if (strcmp(g->name, expected) != 0)
        fail_msg("\"%s\" resolved to \"%s\", expected \"%s\"", name, g->name, expected);
}

/* ---- the embedded table ---- */

static void test_builtin_rows(void **state) {
    (void)state;
    const lp_gpu_db *db = lp_gpu_db_builtin();
    assert_non_null(db);
    assert_ptr_equal(db, lp_gpu_db_builtin()); /* parsed once */
    assert_true(lp_gpu_db_count(db) >= 34);
    assert_null(lp_gpu_db_at(db, lp_gpu_db_count(db)));
    for (size_t i = 0; i < lp_gpu_db_count(db); i++) {
        const lp_gpu *g = lp_gpu_db_at(db, i);
        if (g->source[0] == '\0')
            fail_msg("row %s has no source", g->name);
        if (strncmp(g->usable_source, "measured: ", 10) != 0 &&
            strncmp(g->usable_source, "derived: ", 9) != 0)
            fail_msg("row %s: usable_source \"%s\" is neither measured: nor derived:", g->name,
                     g->usable_source);
        assert_true(g->memory_gib > 0);
        assert_true(g->usable_gib > 0 && g->usable_gib <= g->memory_gib);
        assert_true(g->vendor[0] != '\0');
        /* every row resolves to itself by its own name */
        assert_ptr_equal(find_ok(g->name), g);
    }
}

/* Every "derived:" usable_gib in data/gpus.tsv agrees with the rule the parser applies: parse the
 * embedded text again with the usable_gib column emptied and compare. */
static void test_builtin_usable_rule(void **state) {
    (void)state;
    const char *text = (const char *)lp_data_gpus_tsv;
    size_t len = lp_data_gpus_tsv_len;
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    size_t out = 0, col = 0, usable_col = (size_t)-1;
    bool header_done = false, comment = false, line_start = true;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (line_start)
            comment = c == '#';
        line_start = c == '\n';
        if (comment) {
            copy[out++] = c;
            continue;
        }
        if (!header_done) {
            copy[out++] = c;
            if (c == '\t')
                col++;
            if (strncmp(text + i, "usable_gib\t", 11) == 0 && (i == 0 || text[i - 1] == '\t'))
                usable_col = col;
            if (c == '\n')
                header_done = true, col = 0;
            continue;
        }
        if (c == '\t' || c == '\n') {
            col = c == '\n' ? 0 : col + 1;
            copy[out++] = c;
        } else if (col != usable_col) {
            copy[out++] = c;
        }
    }
    assert_int_not_equal(usable_col, (size_t)-1);
    lp_gpu_db *derived = NULL;
    lp_error err;
    assert_int_equal(lp_gpu_db_parse_tsv(copy, out, "gpus.tsv", &derived, &err), LP_OK);
    const lp_gpu_db *db = lp_gpu_db_builtin();
    assert_int_equal(lp_gpu_db_count(derived), lp_gpu_db_count(db));
    for (size_t i = 0; i < lp_gpu_db_count(db); i++) {
        const lp_gpu *g = lp_gpu_db_at(db, i), *d = lp_gpu_db_at(derived, i);
        assert_false(d->usable_measured);
        if (strncmp(g->usable_source, "derived", 7) == 0) {
            assert_false(g->usable_measured);
            lp_assert_near(d->usable_gib, g->usable_gib, 0.0051);
        } else {
            assert_true(g->usable_measured);
        }
    }
    /* The rule reproduces the H100 measurement it was calibrated on. */
    const lp_gpu *h100 = NULL;
    assert_int_equal(lp_gpu_find(derived, "H100 SXM", &h100, &err), LP_OK);
    lp_assert_near(h100->usable_gib, 79.18, 0.001);
    lp_gpu_db_free(derived);
    free(copy);
}

/* ---- datasheet spot checks ---- */

static void test_datasheet_values(void **state) {
    (void)state;
    /* NVIDIA H100 datasheet (nvidia.com/en-us/data-center/h100): SXM 3.35 TB/s, BF16 1,979
     * TFLOPS with sparsity (989.5 dense), FP8 3,958 sparse (1,979 dense), NVLink 900 GB/s. */
    const lp_gpu *h = find_ok("H100 SXM");
    lp_assert_near(h->bandwidth_gbs, 3350, 0.01);
    lp_assert_near(h->bf16_tflops, 989.5, 0.01);
    lp_assert_near(h->fp16_tflops, 989.5, 0.01);
    lp_assert_near(h->fp8_tflops, 1979, 0.01);
    lp_assert_near(h->memory_gib, 80, 0.01);
    lp_assert_near(h->tdp_w, 700, 0.01);
    assert_int_equal(h->link, LP_LINK_NVLINK);
    lp_assert_near(h->link_gbs, 900, 0.01);
    assert_int_equal(h->cc_major, 9);
    assert_int_equal(h->cc_minor, 0);
    assert_string_equal(h->arch_tag, "sm90");
    /* torch total_memory on H100 80GB HBM3: "79.18 GiB" in public vLLM start-up logs. */
    lp_assert_near(h->usable_gib, 79.18, 0.01);
    assert_true(h->usable_measured);

    /* NVIDIA A100 datasheet (nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf): 80GB SXM
     * 2,039 GB/s, BF16 312 TFLOPS dense, NVLink 600 GB/s; 40GB 1,555 GB/s. */
    const lp_gpu *a = find_ok("A100 80GB SXM");
    lp_assert_near(a->bandwidth_gbs, 2039, 0.01);
    lp_assert_near(a->bf16_tflops, 312, 0.01);
    lp_assert_near(a->fp8_tflops, 0, 0);
    lp_assert_near(a->link_gbs, 600, 0.01);
    lp_assert_near(find_ok("A100 40GB PCIe")->bandwidth_gbs, 1555, 0.01);

    /* NVIDIA L4 datasheet: 300 GB/s, 24 GB, 72 W; torch total_memory 23,583,784,960 B. */
    const lp_gpu *l4 = find_ok("L4");
    lp_assert_near(l4->bandwidth_gbs, 300, 0.01);
    lp_assert_near(l4->tdp_w, 72, 0.01);
    lp_assert_near(l4->usable_gib, 23583784960.0 / (1024.0 * 1024.0 * 1024.0), 0.01);
    assert_true(l4->usable_measured);

    /* AMD Instinct MI300X product page: 192 GB HBM3, 5.3 TB/s, 1,307.4 TFLOPS BF16 dense. */
    const lp_gpu *mi = find_ok("MI300X");
    lp_assert_near(mi->bandwidth_gbs, 5300, 0.01);
    lp_assert_near(mi->memory_gib, 192, 0.01);
    lp_assert_near(mi->bf16_tflops, 1307.4, 0.01);
    assert_string_equal(mi->arch_tag, "gfx942");
    assert_int_equal(mi->cc_major, -1);
    assert_int_equal(mi->link, LP_LINK_INFINITY_FABRIC);

    /* NVIDIA T4 datasheet: 320 GB/s, FP16 tensor 65 TFLOPS, no BF16. V100 datasheet: FP16
     * tensor 125 (SXM2) / 112 (PCIe) TFLOPS, 900 GB/s. */
    const lp_gpu *t4 = find_ok("T4");
    lp_assert_near(t4->fp16_tflops, 65, 0.01);
    lp_assert_near(t4->bf16_tflops, 0, 0);
    lp_assert_near(find_ok("V100 SXM2 16GB")->fp16_tflops, 125, 0.01);
    lp_assert_near(find_ok("V100 PCIe 32GB")->fp16_tflops, 112, 0.01);
    lp_assert_near(find_ok("V100 SXM2 16GB")->memory_gib, 16, 0.01);

    /* NVIDIA H200 datasheet: 141 GB HBM3e, 4.8 TB/s. HGX B200 datasheet: 8 TB/s, FP4 9 PF dense
     * per GPU (144 PF sparse / 16). */
    lp_assert_near(find_ok("H200")->bandwidth_gbs, 4800, 0.01);
    lp_assert_near(find_ok("B200")->fp4_tflops, 9000, 0.01);
}

/* ---- rows people rent and buy ---- */

/* The GPUs the issue tracker found refusing (A10G: no bandwidth; RTX 5090: no tensor FLOPS) and
 * the rows added for this release, against their datasheets / product pages. */
static void test_added_rows(void **state) {
    (void)state;
    /* A10G: Baseten's A10 vs A10G comparison gives 24 GB / 600 GB/s; tensor rate derived from
     * nvidia-smi (80 SMs x 1710 MHz x 512 FLOP/clock) = 70.04 TFLOPS. */
    const lp_gpu *a10g = find_ok("NVIDIA A10G");
    lp_assert_near(a10g->bandwidth_gbs, 600, 0.01);
    lp_assert_near(a10g->bf16_tflops, 80 * 1.710 * 512 / 1000.0, 0.1);
    lp_assert_near(a10g->pcie_gbs, 64, 0.01);
    /* RTX 5090 product page: 3,352 AI TOPS (FP4, sparsity) -> 1,676 FP4 dense; FP8 with FP32
     * accumulate a quarter of that, BF16 an eighth. */
    const lp_gpu *r5090 = find_ok("NVIDIA GeForce RTX 5090");
    lp_assert_near(r5090->fp4_tflops * 2, 3352, 0.5);
    lp_assert_near(r5090->fp8_tflops * 8, 3352, 0.5);
    lp_assert_near(r5090->bf16_tflops * 16, 3352, 0.5);
    lp_assert_near(r5090->bandwidth_gbs, 1792, 0.01);
    /* RTX 4090 (Ada whitepaper): 1,321 AI TOPS = 8 x 165.2 BF16; the 4080 SUPER's 836 AI TOPS
     * by the same ratio; 23 Gbps x 256 bit = 736 GB/s. */
    const lp_gpu *r4080s = find_ok("RTX 4080 SUPER");
    lp_assert_near(r4080s->bf16_tflops * 8, 836, 0.5);
    lp_assert_near(r4080s->bandwidth_gbs, 23.0 * 256 / 8, 0.01);
    lp_assert_near(find_ok("RTX 4090 D")->bf16_tflops * 8, 1177, 0.5);
    /* NVIDIA A40 datasheet: 696 GB/s, BF16 149.7 TFLOPS, 48 GB. A30: 933 GB/s, 165 TFLOPS. */
    lp_assert_near(find_ok("A40")->bandwidth_gbs, 696, 0.01);
    lp_assert_near(find_ok("A40")->bf16_tflops, 149.7, 0.01);
    lp_assert_near(find_ok("A30")->bandwidth_gbs, 933, 0.01);
    lp_assert_near(find_ok("A30")->bf16_tflops, 165, 0.01);
    /* AMD Instinct MI210: 64 GB HBM2e, 1.6384 TB/s, FP16 181 TFLOPS. */
    lp_assert_near(find_ok("MI210")->bandwidth_gbs, 1638.4, 0.01);
    lp_assert_near(find_ok("MI210")->memory_gib, 64, 0.01);
    /* H800: the H100 SXM with 400 GB/s NVLink. */
    lp_assert_near(find_ok("H800")->link_gbs, 400, 0.01);
    lp_assert_near(find_ok("H800")->bf16_tflops, find_ok("H100 SXM")->bf16_tflops, 0.01);
}

/* Every row can be estimated: memory, bandwidth and a 16-bit tensor rate; a BF16 rate where the
 * part runs BF16; FP8 and FP4 rates where it has those tensor cores. */
static void test_rows_complete(void **state) {
    (void)state;
    const lp_gpu_db *db = lp_gpu_db_builtin();
    for (size_t i = 0; i < lp_gpu_db_count(db); i++) {
        const lp_gpu *g = lp_gpu_db_at(db, i);
        if (!(g->bandwidth_gbs > 0))
            fail_msg("%s has no memory bandwidth", g->name);
        if (!(g->fp16_tflops > 0 || g->bf16_tflops > 0))
            fail_msg("%s has no 16-bit tensor rate", g->name);
        if (lp_gpu_supports_bf16(g) && !(g->bf16_tflops > 0))
            fail_msg("%s runs BF16 but has no BF16 rate", g->name);
        if (!lp_gpu_supports_bf16(g) && !(g->fp16_tflops > 0))
            fail_msg("%s has no FP16 rate (its only 16-bit path)", g->name);
        if (lp_gpu_supports_fp8(g) && !(g->fp8_tflops > 0))
            fail_msg("%s has FP8 tensor cores but no FP8 rate", g->name);
        if (lp_gpu_supports_fp4(g) && !(g->fp4_tflops > 0))
            fail_msg("%s has FP4 tensor cores but no FP4 rate", g->name);
        if (!(g->tdp_w > 0) && strstr(g->name, "GB200") == NULL)
            fail_msg("%s has no power figure", g->name);
    }
}

/* The product name in each nvidia-smi output of ../shared/fixtures/nvidia-smi (default table,
 * -q, -q -x, --query-gpu CSV) into names[]; returns how many. */
static size_t smi_names(const char *text, char names[][96], size_t max) {
    size_t n = 0;
    const char *p = text;
    while (*p && n < max) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[1024];
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        const char *v = NULL;
        char *end = NULL;
        if ((v = strstr(line, "<product_name>")) != NULL) {
            v += strlen("<product_name>");
            end = strstr((char *)v, "</product_name>");
        } else if ((v = strstr(line, "Product Name")) != NULL && strchr(v, ':')) {
            v = strchr(v, ':') + 1;
            end = line + strlen(line);
        } else if (line[0] == '|' && (strstr(line, " On ") || strstr(line, " Off "))) {
            /* "|   0  NVIDIA H100 80GB HBM3          On  |" */
            const char *q = line + 1;
            while (*q == ' ')
                q++;
            if (isdigit((unsigned char)*q) && (strstr(q, "NVIDIA") || strstr(q, "Tesla"))) {
                while (isdigit((unsigned char)*q))
                    q++;
                v = q;
                end = strstr((char *)v, "   ");
                char *onoff = strstr((char *)v, " On ");
                if (!onoff)
                    onoff = strstr((char *)v, " Off ");
                if (!end || (onoff && onoff < end))
                    end = onoff;
            }
        }
        if (v && end) {
            while (*v == ' ')
                v++;
            while (end > v && end[-1] == ' ')
                end--;
            size_t k = (size_t)(end - v);
            if (k > 0 && k < 96) {
                memcpy(names[n], v, k);
                names[n++][k] = '\0';
            }
        }
        p = eol ? eol + 1 : p + strlen(p);
    }
    return n;
}

/* Every GPU in the shared nvidia-smi fixtures resolves, to the row its file name says. */
static void test_fixture_gpu_names(void **state) {
    (void)state;
    static const struct {
        const char *file_prefix, *row;
    } expect[] = {
        {"a100-sxm4-80gb", "A100 80GB SXM"},
        {"a10gx", "A10G"},
        {"h100", "H100 SXM"},
        {"h200", "H200 SXM"},
        {"l40s", "L40S"},
        {"l4x", "L4"},
        {"rtx3090", "RTX 3090"},
        {"rtx4080super", "RTX 4080 SUPER"},
        {"rtx4090d", "RTX 4090 D"},
        {"rtx5090", "RTX 5090"},
        {"t4x", "T4"},
    };
    char dir_path[1024];
    lp_test_shared_path("fixtures/nvidia-smi/t4x1.q-x.xml", dir_path, sizeof dir_path);
    char *slash = strrchr(dir_path, '/');
    *slash = '\0';
    DIR *dir = opendir(dir_path);
    if (!dir)
        fail_msg("cannot open %s", dir_path);
    size_t files_with_names = 0, names_checked = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir_path, de->d_name);
        size_t len = 0;
        char *text = lp_test_read_file(path, &len);
        char names[16][96];
        size_t n = strstr(de->d_name, ".csv") ? 0 : smi_names(text, names, 16);
        if (strstr(de->d_name, ".csv")) {
            /* --query-gpu CSV: the value under the "name" column of the first data row */
            const char *hdr_end = strchr(text, '\n');
            int col = -1, c = 0;
            for (const char *q = text; q < hdr_end; c++) {
                while (*q == ' ')
                    q++;
                if (strncmp(q, "name,", 5) == 0)
                    col = c;
                q = strchr(q, ',');
                if (!q || q > hdr_end)
                    break;
                q++;
            }
            assert_true(col >= 0);
            const char *q = hdr_end + 1;
            for (int k = 0; k < col; k++)
                q = strchr(q, ',') + 1;
            while (*q == ' ')
                q++;
            size_t k = strcspn(q, ",");
            memcpy(names[0], q, k);
            names[0][k] = '\0';
            n = 1;
        }
        files_with_names += n > 0;
        for (size_t i = 0; i < n; i++) {
            const lp_gpu *g = find_ok(names[i]);
            names_checked++;
            for (size_t e = 0; e < sizeof expect / sizeof expect[0]; e++)
                if (strncmp(de->d_name, expect[e].file_prefix, strlen(expect[e].file_prefix)) ==
                    0) {
                    if (strcmp(g->name, expect[e].row) != 0)
                        fail_msg("%s: \"%s\" resolved to %s, expected %s", de->d_name, names[i],
                                 g->name, expect[e].row);
                    break;
                }
        }
        free(text);
    }
    closedir(dir);
    /* 20 files; the 4 topo -m outputs name no GPU */
    assert_true(files_with_names >= 15);
    assert_true(names_checked >= 20);
}

/* ---- capabilities ---- */

static void test_capabilities(void **state) {
    (void)state;
    /* FP8 tensor cores: Ada/Hopper/Blackwell (cc >= 8.9) and MI300 (gfx942). */
    assert_true(lp_gpu_supports_fp8(find_ok("H100")));
    assert_false(lp_gpu_supports_fp8(find_ok("A100 80GB")));
    assert_true(lp_gpu_supports_fp8(find_ok("L4")));
    assert_true(lp_gpu_supports_fp8(find_ok("MI300X")));
    assert_true(lp_gpu_supports_fp8(find_ok("RTX 4090")));
    assert_false(lp_gpu_supports_fp8(find_ok("MI250X")));
    assert_false(lp_gpu_supports_fp8(find_ok("T4")));
    assert_true(lp_gpu_supports_fp8(find_ok("Gaudi 3")));
    /* BF16 needs Ampere (cc 8.0). */
    assert_false(lp_gpu_supports_bf16(find_ok("T4")));
    assert_false(lp_gpu_supports_bf16(find_ok("V100 SXM2 32GB")));
    assert_true(lp_gpu_supports_bf16(find_ok("A10")));
    assert_true(lp_gpu_supports_bf16(find_ok("MI250X")));
    assert_true(lp_gpu_supports_bf16(find_ok("Gaudi 2")));
    /* FP4: Blackwell (10.x, 12.x) and MI355X (gfx950). */
    assert_true(lp_gpu_supports_fp4(find_ok("B200")));
    assert_true(lp_gpu_supports_fp4(find_ok("B300")));
    assert_true(lp_gpu_supports_fp4(find_ok("RTX 5090")));
    assert_true(lp_gpu_supports_fp4(find_ok("MI355X")));
    assert_false(lp_gpu_supports_fp4(find_ok("H100")));
    assert_false(lp_gpu_supports_fp4(find_ok("MI300X")));
    assert_false(lp_gpu_supports_fp8(NULL));

    assert_string_equal(lp_link_name(LP_LINK_NVLINK), "nvlink");
    assert_string_equal(lp_link_name(LP_LINK_PCIE), "pcie");
    assert_string_equal(lp_link_name(LP_LINK_INFINITY_FABRIC), "infinity_fabric");
    assert_string_equal(lp_link_name(LP_LINK_ETHERNET), "ethernet");
    assert_string_equal(lp_link_name(LP_LINK_UNKNOWN), "unknown");
}

/* ---- name matching ---- */

static void test_find_names(void **state) {
    (void)state;
    static const char *const cases[][2] = {
        {"H100", "H100 SXM"}, /* cloud default: SXM */
        {"h100", "H100 SXM"},
        {"h100-sxm", "H100 SXM"},
        {"H100 SXM5", "H100 SXM"},
        {"H100-SXM5-80GB", "H100 SXM"},
        {"h100sxm", "H100 SXM"},
        {"NVIDIA H100 80GB HBM3", "H100 SXM"},
        {"H100 80GB", "H100 SXM"},
        {"h100 pcie", "H100 PCIe"},
        {"NVIDIA H100 PCIe", "H100 PCIe"},
        {"H100 NVL", "H100 NVL"},
        {"h100nvl", "H100 NVL"},
        {"A100-80GB", "A100 80GB SXM"},
        {"a100 80gb", "A100 80GB SXM"},
        {"NVIDIA A100-SXM4-80GB", "A100 80GB SXM"},
        {"NVIDIA A100 80GB PCIe", "A100 80GB PCIe"},
        {"A100 40GB", "A100 40GB SXM"},
        {"NVIDIA A100-SXM4-40GB", "A100 40GB SXM"},
        {"NVIDIA A100-PCIE-40GB", "A100 40GB PCIe"},
        {"a100 pcie 80gb", "A100 80GB PCIe"},
        {"RTX 4090", "RTX 4090"},
        {"4090", "RTX 4090"},
        {"rtx4090", "RTX 4090"},
        {"NVIDIA GeForce RTX 4090", "RTX 4090"},
        {"3090", "RTX 3090"},
        {"A6000", "RTX A6000"},
        {"RTX 6000 Ada", "RTX 6000 Ada"},
        {"NVIDIA RTX 6000 Ada Generation", "RTX 6000 Ada"},
        {"RTX PRO 6000", "RTX PRO 6000 Blackwell"},
        {"L40S", "L40S"},
        {"NVIDIA L40S", "L40S"},
        {"l40s", "L40S"},
        {"L40", "L40"},
        {"l4", "L4"},
        {"NVIDIA L4", "L4"},
        {"A10", "A10"},
        {"A10G", "A10G"},
        {"NVIDIA A10G", "A10G"},
        {"H200", "H200 SXM"},
        {"NVIDIA H200", "H200 SXM"},
        {"H200 NVL", "H200 NVL"},
        {"MI300X", "MI300X"},
        {"mi300x", "MI300X"},
        {"AMD Instinct MI300X", "MI300X"},
        {"mi325x", "MI325X"},
        {"MI355X", "MI355X"},
        {"B200", "B200"},
        {"NVIDIA B200", "B200"},
        {"B300", "B300"},
        {"NVIDIA B300 SXM6 AC", "B300"},
        {"GB200", "GB200 (per GPU)"},
        {"GH200 96GB", "GH200 (96GB HBM3)"},
        {"NVIDIA GH200 480GB", "GH200 (96GB HBM3)"},
        {"T4", "T4"},
        {"Tesla T4", "T4"},
        {"t4", "T4"},
        {"V100 32GB", "V100 SXM2 32GB"},
        {"v100-16gb", "V100 SXM2 16GB"},
        {"Tesla V100-SXM2-16GB", "V100 SXM2 16GB"},
        {"Tesla V100-PCIE-32GB", "V100 PCIe 32GB"},
        {"V100 SXM2", "V100 SXM2 32GB"}, /* the reference table's name for the 32 GB row */
        {"Gaudi 3", "Gaudi 3"},
        {"gaudi2", "Gaudi 2"},
        {"MI250X", "MI250X"},
        /* nvidia-smi's default table cuts long names: only a longer name can have been cut */
        {"NVIDIA GeForce RTX 4080 ...", "RTX 4080 SUPER"},
        {"NVIDIA GeForce RTX 4080", "RTX 4080"},
        {"RTX 4090 D", "RTX 4090 D"},
        {"NVIDIA GeForce RTX 4090 D", "RTX 4090 D"},
        {"4080 super", "RTX 4080 SUPER"},
        {"A10G", "A10G"},
        {"NVIDIA H800", "H800 SXM"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_resolves(cases[i][0], cases[i][1]);
}

static void test_find_ambiguous(void **state) {
    (void)state;
    const lp_gpu *g = (const lp_gpu *)1;
    lp_error err;
    /* Memory size is never guessed: the A100 and V100 were sold with two. */
    assert_int_equal(lp_gpu_find(NULL, "A100", &g, &err), LP_ERR_AMBIGUOUS);
    assert_null(g);
    assert_int_equal(err.code, LP_ERR_AMBIGUOUS);
    assert_non_null(strstr(err.message, "A100 40GB SXM"));
    assert_non_null(strstr(err.message, "A100 80GB SXM"));
    assert_non_null(strstr(err.message, "\"A100\""));
    assert_int_equal(lp_gpu_find(NULL, "V100", &g, &err), LP_ERR_AMBIGUOUS);
    assert_non_null(strstr(err.message, "V100 SXM2 16GB"));
    assert_non_null(strstr(err.message, "V100 SXM2 32GB"));
    assert_int_equal(lp_gpu_find(NULL, "GH200", &g, &err), LP_ERR_AMBIGUOUS);
    assert_int_equal(lp_gpu_find(NULL, "gaudi", &g, &err), LP_ERR_AMBIGUOUS);
}

static void test_find_unknown(void **state) {
    (void)state;
    const lp_gpu *g = NULL;
    lp_error err;
    assert_int_equal(lp_gpu_find(NULL, "H1000", &g, &err), LP_ERR_NOT_FOUND);
    assert_null(g);
    assert_non_null(strstr(err.message, "unknown GPU \"H1000\"; did you mean: H100 SXM, "));
    assert_non_null(strstr(err.message, "H100 PCIe"));
    assert_int_equal(lp_gpu_find(NULL, "foo", &g, &err), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "unknown GPU \"foo\"; did you mean: "));
    /* at most 5 suggestions: 4 separators */
    const char *list = strstr(err.message, "did you mean: ");
    size_t commas = 0;
    for (const char *p = list; *p && *p != '?'; p++)
        commas += *p == ',';
    assert_true(commas <= 4);
    /* "l4" with the wrong form factor or size is not L40 / L40S */
    assert_int_equal(lp_gpu_find(NULL, "L4 48GB", &g, &err), LP_ERR_NOT_FOUND);
    assert_int_equal(lp_gpu_find(NULL, "H100 SXM 141GB", &g, &err), LP_ERR_NOT_FOUND);
    assert_int_equal(lp_gpu_find(NULL, "", &g, &err), LP_ERR_INVALID_ARG);
    assert_int_equal(lp_gpu_find(NULL, "NVIDIA", &g, &err), LP_ERR_INVALID_ARG);
    assert_int_equal(lp_gpu_find(NULL, NULL, &g, &err), LP_ERR_INVALID_ARG);
}

/* ---- cross-check with the reference table ---- */

static void test_reference_table(void **state) {
    (void)state;
    char path[1024];
    lp_test_shared_path("reference/gpu_specs.tsv", path, sizeof path);
    size_t len = 0;
    char *text = lp_test_read_file(path, &len);
    lp_gpu_db *ref = NULL;
    lp_error err;
    /* The reference has our column names for the numbers (plus others, which are ignored). */
    if (lp_gpu_db_parse_tsv(text, len, "gpu_specs.tsv", &ref, &err) != LP_OK)
        fail_msg("%s", err.message);
    assert_true(lp_gpu_db_count(ref) >= 34);
    for (size_t i = 0; i < lp_gpu_db_count(ref); i++) {
        const lp_gpu *r = lp_gpu_db_at(ref, i);
        const lp_gpu *g = find_ok(r->name);
        const struct {
            const char *what;
            double ref, ours;
        } checks[] = {
            {"memory_gib", r->memory_gib, g->memory_gib},
            {"memory_bandwidth_gbs", r->bandwidth_gbs, g->bandwidth_gbs},
            {"bf16_dense_tflops", r->bf16_tflops, g->bf16_tflops},
            {"fp8_dense_tflops", r->fp8_tflops, g->fp8_tflops},
            {"int8_dense_tops", r->int8_tops, g->int8_tops},
            {"fp4_dense_tflops", r->fp4_tflops, g->fp4_tflops},
            {"tdp_w", r->tdp_w, g->tdp_w},
        };
        /* Where the reference is empty our row may fill the figure from another cited source
         * (its notes say which); where both have one they agree. */
        for (size_t c = 0; c < sizeof checks / sizeof checks[0]; c++)
            if (checks[c].ref != 0 && checks[c].ref != checks[c].ours)
                fail_msg("%s -> %s: %s is %g, reference says %g", r->name, g->name, checks[c].what,
                         checks[c].ours, checks[c].ref);
        assert_true(g->source[0] != '\0');
        assert_int_equal(g->cc_major, r->cc_major);
        assert_int_equal(g->cc_minor, r->cc_minor);
    }
    lp_gpu_db_free(ref);
    free(text);
}

/* ---- user files ---- */

static void test_user_file(void **state) {
    (void)state;
    /* columns in another order, a subset, an unknown column, comments and a CRLF line */
    char path[512];
    lp_test_write_temp(path, sizeof path,
                       "# my GPUs\n"
                       "memory_bandwidth_gbs\tname\tcolour\tmemory_gib\tusable_gib\tlink\n"
                       "3350\tH100 SXM\tgreen\t80\t79.5\tnvlink\r\n"
                       "\n"
                       "1000\tMy Accel 2000\tblue\t64\t\tethernet\n");
    lp_gpu_db *db = NULL;
    lp_error err;
    if (lp_gpu_db_load_file(path, &db, &err) != LP_OK)
        fail_msg("%s", err.message);
    const lp_gpu_db *builtin = lp_gpu_db_builtin();
    assert_int_equal(lp_gpu_db_count(db), lp_gpu_db_count(builtin) + 1);

    const lp_gpu *g = NULL;
    assert_int_equal(lp_gpu_find(db, "H100", &g, &err), LP_OK);
    assert_string_equal(g->name, "H100 SXM");
    lp_assert_near(g->usable_gib, 79.5, 1e-9); /* replaced */
    assert_true(g->usable_measured);
    lp_assert_near(g->bf16_tflops, 0, 0); /* the user row replaces the whole row */

    assert_int_equal(lp_gpu_find(db, "my accel 2000", &g, &err), LP_OK);
    assert_string_equal(g->name, "My Accel 2000");
    lp_assert_near(g->bandwidth_gbs, 1000, 1e-9);
    lp_assert_near(g->usable_gib, 64 * 79.18 / 80, 1e-9); /* derived by the H100 ratio */
    assert_false(g->usable_measured);
    assert_non_null(strstr(g->usable_source, "derived"));
    assert_int_equal(g->link, LP_LINK_ETHERNET);
    assert_int_equal(g->cc_major, -1);

    /* the embedded table is untouched */
    assert_int_equal(lp_gpu_find(NULL, "H100", &g, &err), LP_OK);
    lp_assert_near(g->usable_gib, 79.18, 0.001);
    assert_int_equal(lp_gpu_find(NULL, "My Accel 2000", &g, &err), LP_ERR_NOT_FOUND);

    lp_gpu_db_free(db);
    unlink(path);

    /* usable_gib from nvidia-smi when only that is known: 81559 MiB -> 79.18 GiB */
    const char *smi = "name\tnvidia_smi_total_mib\tmemory_gib\nX\t81559\t80\n";
    assert_int_equal(lp_gpu_db_parse_tsv(smi, strlen(smi), "x.tsv", &db, &err), LP_OK);
    lp_assert_near(lp_gpu_db_at(db, 0)->usable_gib, 79.18, 1e-9);
    lp_gpu_db_free(db);

    /* usable_gib alone is enough */
    const char *usable_only = "name\tusable_gib\nY\t10.5\n";
    assert_int_equal(lp_gpu_db_parse_tsv(usable_only, strlen(usable_only), "y.tsv", &db, &err),
                     LP_OK);
    lp_assert_near(lp_gpu_db_at(db, 0)->usable_gib, 10.5, 1e-9);
    lp_gpu_db_free(db);
}

static void expect_error(const char *content, lp_status code, const char *message) {
    char path[512];
    lp_test_write_temp(path, sizeof path, content);
    lp_gpu_db *db = (lp_gpu_db *)1;
    lp_error err;
    lp_status st = lp_gpu_db_load_file(path, &db, &err);
    if (st != code)
        fail_msg("expected %s, got %s (%s)", lp_strerror(code), lp_strerror(st), err.message);
    assert_null(db);
    assert_int_equal(err.code, code);
    /* messages name the file: replace the temp path by "gpus.tsv" for comparison */
    char expected[2048];
    snprintf(expected, sizeof expected, message, path);
    if (strstr(err.message, expected) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.message, expected);
    unlink(path);
}

static void test_user_file_errors(void **state) {
    (void)state;
    expect_error("name\tmemory_gib\tmemory_bandwidth_gbs\nA\t80\t1000\n# c\n\n"
                 "B\t80\t1000\nC\t80\t1000\nD\t80\tfast\n",
                 LP_ERR_PARSE, "%s:7: memory_bandwidth_gbs: expected a number, got \"fast\"");
    expect_error("gpu\tmemory_gib\nA\t80\n", LP_ERR_MISSING_FIELD, "%s:1: header has no \"name\"");
    expect_error("", LP_ERR_PARSE, "%s: empty file");
    expect_error("# only a comment\n\n", LP_ERR_PARSE, "%s: empty file");
    expect_error("name\tvendor\nA\tX\n", LP_ERR_MISSING_FIELD, "%s:1: header has neither");
    expect_error("name\tmemory_gib\nA\t\n", LP_ERR_MISSING_FIELD, "%s:2: A: no memory size");
    expect_error("name\tmemory_gib\n\t80\n", LP_ERR_MISSING_FIELD, "%s:2: name: empty");
    expect_error("name\tmemory_gib\nA\t-80\n", LP_ERR_PARSE,
                 "%s:2: memory_gib: expected a non-negative number, got \"-80\"");
    expect_error("name\tmemory_gib\nA\t80GB\n", LP_ERR_PARSE,
                 "%s:2: memory_gib: expected a number, got \"80GB\"");
    expect_error("name\tmemory_gib\nA\t80\t7\n", LP_ERR_PARSE, "%s:2: row has more fields");
    expect_error("name\tmemory_gib\nA\t80\nA\t40\n", LP_ERR_PARSE,
                 "%s:3: name: \"A\" appears twice");
    expect_error("name\tmemory_gib\tlink\nA\t80\tcarrier-pigeon\n", LP_ERR_PARSE,
                 "%s:2: link: expected");
    expect_error("name\tmemory_gib\tcompute_capability\nA\t80\t9.x\n", LP_ERR_PARSE,
                 "%s:2: compute_capability: expected");
    expect_error("name\tname\tmemory_gib\n", LP_ERR_PARSE,
                 "%s:1: header names column \"name\" twice");

    lp_gpu_db *db = (lp_gpu_db *)1;
    lp_error err;
    assert_int_equal(lp_gpu_db_load_file("/nonexistent/llmplan/gpus.tsv", &db, &err),
                     LP_ERR_NOT_FOUND);
    assert_null(db);
    assert_non_null(strstr(err.message, "/nonexistent/llmplan/gpus.tsv"));
    /* the parser on its own: not NUL-terminated input is fine */
    const char text[] = "name\tmemory_gib\nA\t80\nB\t4";
    assert_int_equal(lp_gpu_db_parse_tsv(text, sizeof text - 2, "t", &db, &err),
                     LP_ERR_MISSING_FIELD);
    assert_int_equal(lp_gpu_db_parse_tsv(text, sizeof text - 1, "t", &db, &err), LP_OK);
    assert_int_equal(lp_gpu_db_count(db), 2);
    lp_gpu_db_free(db);
    lp_gpu_db_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_rows),      cmocka_unit_test(test_builtin_usable_rule),
        cmocka_unit_test(test_datasheet_values),  cmocka_unit_test(test_capabilities),
        cmocka_unit_test(test_find_names),        cmocka_unit_test(test_find_ambiguous),
        cmocka_unit_test(test_find_unknown),      cmocka_unit_test(test_reference_table),
        cmocka_unit_test(test_user_file),         cmocka_unit_test(test_user_file_errors),
        cmocka_unit_test(test_added_rows),        cmocka_unit_test(test_rows_complete),
        cmocka_unit_test(test_fixture_gpu_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
