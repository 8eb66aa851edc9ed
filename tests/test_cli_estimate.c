/*
 * test_cli_estimate.c - `llmplan estimate` as a user runs it: the four examples of its help
 * exit 0, --json carries every key of a `vllm bench serve --save-result` file (names from
 * vLLM's benchmarks/serve.py result dict), --batch goes on past bad lines and says which line
 * was bad, and bad flags exit 2 with one clear message.
 */
#include "support/lp_test.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "llmplan/perf.h"

/* The keys of `vllm bench serve --save-result` that an estimate must carry. */
static const char *const VLLM_KEYS[] = {
    "request_throughput", "output_throughput", "total_token_throughput",
    "mean_ttft_ms",       "median_ttft_ms",    "p90_ttft_ms",
    "p99_ttft_ms",        "mean_tpot_ms",      "median_tpot_ms",
    "p90_tpot_ms",        "p99_tpot_ms",       "mean_itl_ms",
    "median_itl_ms",      "p90_itl_ms",        "p99_itl_ms",
    "mean_e2el_ms",       "median_e2el_ms",    "p90_e2el_ms",
    "p99_e2el_ms",        "completed",         "duration",
};
static const char *const OUR_KEYS[] = {"max_concurrent_requests",
                                       "prefill_tok_s",
                                       "decode_tok_s",
                                       "ranges",
                                       "bottlenecks",
                                       "method",
                                       "assumptions",
                                       "valid",
                                       "error"};

static void check_keys(json_t *j, bool simulated) {
    for (size_t i = 0; i < sizeof VLLM_KEYS / sizeof VLLM_KEYS[0]; i++)
        if (!json_object_get(j, VLLM_KEYS[i]))
            fail_msg("JSON lacks \"%s\"", VLLM_KEYS[i]);
    for (size_t i = 0; i < sizeof OUR_KEYS / sizeof OUR_KEYS[0]; i++)
        if (!json_object_get(j, OUR_KEYS[i]))
            fail_msg("JSON lacks \"%s\"", OUR_KEYS[i]);
    assert_true(json_is_true(json_object_get(j, "valid")));
    assert_true(json_is_number(json_object_get(j, "mean_ttft_ms")));
    assert_true(json_is_number(json_object_get(j, "output_throughput")));
    /* percentiles exist only when simulated; otherwise null, never a made-up number */
    json_t *p99 = json_object_get(j, "p99_ttft_ms");
    assert_true(simulated ? json_is_number(p99) : json_is_null(p99));
    assert_true(json_is_array(json_object_get(j, "assumptions")));
    assert_true(json_array_size(json_object_get(j, "assumptions")) > 0);
    /* the error band of the mean TTFT: where the measured value lay on comparable published
     * runs (it need not hold the estimate: a biased method's band sits to one side) */
    json_t *r = json_object_get(json_object_get(j, "ranges"), "mean_ttft_ms");
    assert_true(json_is_object(r));
    double lo = json_number_value(json_object_get(r, "lo"));
    double hi = json_number_value(json_object_get(r, "hi"));
    assert_true(lo > 0 && lo < hi);
    assert_true(json_is_string(json_object_get(r, "class")));
    assert_true(json_integer_value(json_object_get(r, "rows")) >= 1);
    lp_assert_near(json_number_value(json_object_get(r, "coverage")), 0.8, 1e-12);
    assert_true(json_is_string(json_object_get(json_object_get(j, "bottlenecks"), "decode")));
}

/* Example 1 (roofline, the default with a model) and its --json. */
static void test_example_roofline(void **state) {
    (void)state;
    const char *args = "estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 "
                       "--random-input-len 1024 --random-output-len 256 --max-concurrency 32";
    char *out = lp_test_cli(args, 0);
    assert_non_null(strstr(out, "TTFT"));
    assert_non_null(strstr(out, "TPOT"));
    assert_non_null(strstr(out, "Bottleneck"));
    assert_non_null(strstr(out, "roofline"));
    free(out);
    char json_args[512];
    snprintf(json_args, sizeof json_args, "%s --json", args);
    json_t *j = lp_test_cli_json(json_args, 0);
    check_keys(j, false);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "roofline");
    /* Llama-3.1-8B on one H100 fits with KV room for far more than 32 requests */
    assert_true(json_number_value(json_object_get(j, "max_concurrent_requests")) > 32);
    json_decref(j);
}

/* Example 2: simulation with percentiles. */
static void test_example_simulate(void **state) {
    (void)state;
    json_t *j = lp_test_cli_json("estimate --model Qwen/Qwen2.5-72B-Instruct --gpu A100-80GB -tp 4 "
                                 "--request-rate 4 --num-prompts 500 --method simulate --json",
                                 0);
    check_keys(j, true);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "simulate");
    assert_int_equal(json_integer_value(json_object_get(j, "completed")), 500);
    json_decref(j);
}

/* Example 3: the heuristic with a parameter count only (also the default without --model). */
static void test_example_heuristic(void **state) {
    (void)state;
    char *out = lp_test_cli("estimate --params-b 13 --gpu \"RTX 4090\" --method heuristic", 0);
    assert_non_null(strstr(out, "heuristic"));
    assert_non_null(strstr(out, "Assumptions"));
    free(out);
    json_t *j = lp_test_cli_json("estimate --params-b 13 --gpu \"RTX 4090\" --json", 0);
    check_keys(j, false);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "heuristic");
    assert_true(json_is_null(json_object_get(j, "max_concurrent_requests")));
    json_decref(j);
    /* no GPU at all: the default baseline, said so */
    j = lp_test_cli_json("estimate --params-b 7 --json", 0);
    json_t *a = json_object_get(j, "assumptions");
    bool said = false;
    for (size_t i = 0; i < json_array_size(a); i++)
        said |= strstr(json_string_value(json_array_get(a, i)), "default baseline") != NULL;
    assert_true(said);
    json_decref(j);
}

/* GPUs that used to refuse (A10G: no bandwidth figure; RTX 5090: no tensor FLOPS) and the FP16
 * path of GPUs without BF16 (T4): each estimates, and decode at batch 1 is no faster than
 * streaming the weights once per token at the datasheet bandwidth (a physical lower bound:
 * Llama-3.1-8B = 8,030,261,248 params x 2 B; Llama-3.2-3B = 3,212,749,824 x 2 B). */
static void test_rented_gpus(void **state) {
    (void)state;
    static const struct {
        const char *model, *gpu;
        double weight_bytes, bandwidth_gbs;
    } cases[] = {
        {"meta-llama/Llama-3.1-8B-Instruct", "A10G", 8030261248.0 * 2, 600},
        {"meta-llama/Llama-3.1-8B-Instruct", "RTX 5090", 8030261248.0 * 2, 1792},
        {"meta-llama/Llama-3.2-3B-Instruct", "T4", 3212749824.0 * 2, 320},
        {"meta-llama/Llama-3.2-3B-Instruct", "V100 PCIe 16GB", 3212749824.0 * 2, 900},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[512];
        snprintf(args, sizeof args,
                 "estimate --model %s --gpu \"%s\" --max-model-len 4096 --max-concurrency 1 "
                 "--random-input-len 128 --random-output-len 64 --num-prompts 4 --json",
                 cases[i].model, cases[i].gpu);
        json_t *j = lp_test_cli_json(args, 0);
        double tpot = json_number_value(json_object_get(j, "mean_tpot_ms"));
        double floor_ms = cases[i].weight_bytes / (cases[i].bandwidth_gbs * 1e9) * 1e3;
        if (!(tpot >= floor_ms && tpot < 3 * floor_ms))
            fail_msg("%s on %s: TPOT %.1f ms, weights alone take %.1f ms", cases[i].model,
                     cases[i].gpu, tpot, floor_ms);
        json_decref(j);
    }
}

/* Example 4 and the batch contract: one JSON object per line, bad lines named, others valid. */
static void test_batch(void **state) {
    (void)state;
    char path[256], args[512];
    lp_test_write_temp(path, sizeof path,
                       "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"H100\", "
                       "\"input_len\": 512, \"output_len\": 128, \"concurrency\": 8}\n"
                       "{\"params_b\": 70, \"gpu_type\": \"H100\", \"tp_size\": 4}\n"
                       "\n"
                       "{\"params_b\": 7, \"gpu_name\": \"L40S\", \"tp_szie\": 2}\n"
                       "{\"params_b\": 7, \"gpu\": \"A100 80GB\", \"num_gpu\": 2, \"method\": "
                       "\"heuristic\", \"prompt_tokens\": 2048, \"interconnect\": \"pcie\"}\n");
    snprintf(args, sizeof args, "estimate --batch '%s' --json", path);
    char *out = lp_test_cli(args, 3); /* one invalid line */
    int n = 0, valid = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t jerr;
        json_t *j = json_loads(line, 0, &jerr);
        if (!j)
            fail_msg("batch output line %d is not JSON: %s", n + 1, line);
        long input_line = (long)json_integer_value(json_object_get(j, "line"));
        if (json_is_true(json_object_get(j, "valid"))) {
            valid++;
            check_keys(j, false);
        } else {
            assert_int_equal(input_line, 4);
            const char *msg = json_string_value(json_object_get(j, "error"));
            assert_non_null(msg);
            assert_non_null(strstr(msg, "line 4"));
            assert_non_null(strstr(msg, "tp_szie"));
        }
        assert_true(input_line == 1 || input_line == 2 || input_line == 4 || input_line == 5);
        json_decref(j);
        n++;
    }
    assert_int_equal(n, 4);
    assert_int_equal(valid, 3);
    free(out);
    /* the text table */
    snprintf(args, sizeof args, "estimate --batch '%s'", path);
    out = lp_test_cli(args, 3);
    assert_non_null(strstr(out, "invalid"));
    free(out);
    unlink(path);

    /* all valid: exit 0 */
    lp_test_write_temp(
        path, sizeof path,
        "{\"params_b\": 8, \"gpu\": \"H100\"}\n{\"params_b\": 32, \"gpu\": \"L40S\", "
        "\"tp_degree\": 2, \"method\": \"heuristic\"}\n");
    snprintf(args, sizeof args, "estimate --batch '%s' --json", path);
    out = lp_test_cli(args, 0);
    free(out);
    unlink(path);
    /* malformed JSON: the line and the position */
    lp_test_write_temp(path, sizeof path,
                       "{\"params_b\": 8, \"gpu\": \"H100\"}\n{\"params_b\": 8,\n");
    snprintf(args, sizeof args, "estimate --batch '%s' --json", path);
    out = lp_test_cli(args, 3);
    assert_non_null(strstr(out, "line 2: invalid JSON at character"));
    free(out);
    unlink(path);
    /* a missing file is an I/O failure */
    free(lp_test_cli("estimate --batch does-not-exist.jsonl 2>/dev/null", 1));
}

/* --batch - streams: each answer comes out before the next request is sent, so a producer that
 * waits for answers works, and nothing is kept until the end (issue 13: results were held in
 * memory and printed at the end; an endless producer grew until the machine ran out of it). */
static void test_batch_answers_as_it_reads(void **state) {
    (void)state;
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl(LP_CLI_PATH, "llmplan", "estimate", "--batch", "-", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    const char *req = "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"H100\"}\n";
    char got[8192];
    size_t n = 0;
    for (int line = 1; line <= 3; line++) {
        assert_int_equal(write(in[1], req, strlen(req)), (ssize_t)strlen(req));
        /* the answer row "    N  roofline ..." arrives while the input is still open */
        char want[32];
        snprintf(want, sizeof want, "    %d  roofline", line);
        got[n] = '\0';
        while (!strstr(got, want)) {
            struct pollfd p = {.fd = out[0], .events = POLLIN};
            if (poll(&p, 1, 20000) != 1)
                fail_msg("no answer to request %d within 20 s while the input stays open:\n%s",
                         line, got);
            ssize_t k = read(out[0], got + n, sizeof got - 1 - n);
            assert_true(k > 0);
            n += (size_t)k;
            got[n] = '\0';
        }
    }
    close(in[1]);
    while (n < sizeof got - 1) {
        ssize_t k = read(out[0], got + n, sizeof got - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    close(out[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Workload flags: distributions, ShareGPT preset, request rate. */
static void test_workload_flags(void **state) {
    (void)state;
    char path[256], args[512];
    lp_test_write_temp(path, sizeof path, "# tokens weight\n100 1\n300 1\n");
    snprintf(args, sizeof args,
             "estimate --params-b 8 --gpu H100 --input-len-dist 'hist:%s' --output-len-dist "
             "uniform:50,150 --request-rate 2 --json",
             path);
    json_t *j = lp_test_cli_json(args, 0);
    /* heuristic TTFT = mean prompt (200 tokens) / prefill tok/s */
    double prefill = json_number_value(json_object_get(j, "prefill_tok_s"));
    lp_assert_near(json_number_value(json_object_get(j, "mean_ttft_ms")), 1000.0 * 200 / prefill,
                   1e-3);
    lp_assert_near(json_number_value(json_object_get(j, "request_throughput")), 2.0, 1e-6);
    json_decref(j);
    unlink(path);
    /* a histogram row past 10 M tokens is refused on the flag, naming the file's line */
    lp_test_write_temp(path, sizeof path, "100 1\n1e300 1\n");
    snprintf(args, sizeof args, "estimate --params-b 8 --gpu H100 --input-len-dist 'hist:%s'",
             path);
    lp_test_cli_usage(args, "line 2: expected \"tokens weight\" (tokens from 1 to 10000000");
    unlink(path);
    j = lp_test_cli_json("estimate --params-b 8 --gpu H100 --dataset-name sharegpt --json", 0);
    json_t *a = json_object_get(j, "assumptions");
    bool said = false;
    char mean[16]; /* the library's ShareGPT prompt mean is what the assumptions quote */
    snprintf(mean, sizeof mean, "%.0f", LP_SHAREGPT_MEAN_INPUT);
    for (size_t i = 0; i < json_array_size(a); i++)
        said |= strstr(json_string_value(json_array_get(a, i)), mean) != NULL;
    assert_true(said);
    json_decref(j);
    j = lp_test_cli_json("estimate --params-b 8 --gpu H100 --input-len-dist normal:800,100 "
                         "--request-rate inf --num-prompts 10 --json",
                         0);
    assert_string_equal(json_string_value(json_object_get(j, "request_rate")), "inf");
    /* vllm bench serve's result file writes burstiness 1.0 when not given */
    lp_assert_near(json_number_value(json_object_get(j, "burstiness")), 1.0, 0);
    json_decref(j);
}

/* true when one of j's assumptions contains text */
static bool assumes(json_t *j, const char *text) {
    json_t *a = json_object_get(j, "assumptions");
    for (size_t i = 0; i < json_array_size(a); i++)
        if (strstr(json_string_value(json_array_get(a, i)), text))
            return true;
    return false;
}

/* --burstiness and --sharegpt-output-len as `vllm bench serve` spells them: echoed in the
 * JSON, said in the assumptions, refused when out of range or without what they apply to.
 * --sharegpt-output-len 64 over 40 prompts: 40 x 64 = 2,560 output tokens in all. */
static void test_burstiness_and_sharegpt_output_len_flags(void **state) {
    (void)state;
    json_t *j = lp_test_cli_json("estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 "
                                 "--request-rate 8 --burstiness 0.5 --num-prompts 100 "
                                 "--method simulate --json",
                                 0);
    lp_assert_near(json_number_value(json_object_get(j, "burstiness")), 0.5, 0);
    assert_true(assumes(j, "gamma gaps of burstiness 0.5 at 8 req/s"));
    json_decref(j);
    j = lp_test_cli_json("estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 "
                         "--request-rate 8 --burstiness inf --json",
                         0);
    assert_string_equal(json_string_value(json_object_get(j, "burstiness")), "inf");
    assert_true(assumes(j, "--burstiness inf not modelled by the roofline method"));
    json_decref(j);
    j = lp_test_cli_json("estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 "
                         "--burstiness 2 --json",
                         0);
    assert_true(assumes(j, "--burstiness 2 has no effect: at request rate inf"));
    json_decref(j);
    j = lp_test_cli_json("estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 "
                         "--dataset-name sharegpt --sharegpt-output-len 64 --num-prompts 40 "
                         "--request-rate 4 --method simulate --json",
                         0);
    lp_assert_near(json_number_value(json_object_get(j, "sharegpt_output_len")), 64, 0);
    assert_true(assumes(j, "--sharegpt-output-len 64"));
    lp_assert_near(json_number_value(json_object_get(j, "output_throughput")) *
                       json_number_value(json_object_get(j, "duration")),
                   40.0 * 64, 0.5); /* both printed to 6 significant digits */
    json_decref(j);
    const char *base = "estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 ";
    static const struct {
        const char *flags, *says;
    } bad[] = {
        {"--burstiness 0", "--burstiness: expected a number above 0"},
        {"--burstiness -2", "--burstiness"},
        {"--burstiness nan", "--burstiness"},
        {"--burstiness 1e10", "--burstiness"},
        {"--sharegpt-output-len 64", "applies to --dataset-name sharegpt, not random"},
        {"--dataset-name sharegpt --sharegpt-output-len 64 --random-output-len 9",
         "leave out --random-output-len"},
        {"--dataset-name sharegpt --sharegpt-output-len 2045", "expected 1 to 2044 tokens"},
        {"--dataset-name sharegpt --sharegpt-output-len -1", "--sharegpt-output-len"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char args[512];
        snprintf(args, sizeof args, "%s%s", base, bad[i].flags);
        lp_test_cli_usage(args, bad[i].says);
    }
}

/* Issue 13: conflicting flags are errors; a GPU described by hand works for estimate too;
 * --batch reads lines of bounded length (an endless line ends the batch with a message). */
static void test_hardening(void **state) {
    (void)state;
    lp_test_cli_usage("estimate --model meta-llama/Llama-3.1-8B-Instruct --params-b 13 --gpu H100",
                      "give --model or --params-b, not both");
    lp_test_cli_usage("estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu-memory-gib 80",
                      "needs --gpu-bandwidth-gbs and --gpu-tflops");
    char *out = lp_test_cli("estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu \"My GPU\" "
                            "--gpu-memory-gib 80 --gpu-bandwidth-gbs 3350 --gpu-tflops 989 --json",
                            0);
    assert_non_null(strstr(out, "\"gpu\": \"My GPU\""));
    free(out);
    /* /dev/zero: one endless line of NUL bytes */
    out = lp_test_cli("estimate --batch /dev/zero 2>&1", 2);
    assert_non_null(strstr(out, "line 1 is longer than 1048576 bytes"));
    free(out);
    /* every other file a command reads ends too (issue 13: hist:/dev/zero and --calibration
     * /dev/zero never ended), refused as the binary data it is */
    const char *reads[] = {
        "estimate --params-b 8 --gpu H100 --input-len-dist hist:/dev/zero",
        "estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --calibration /dev/zero",
        "estimate --params-b 8 --gpu H100 --gpu-file /dev/zero",
        "compare --result /dev/zero --model meta-llama/Llama-3.1-8B-Instruct --gpu H100",
        "compare --log /dev/zero --model meta-llama/Llama-3.1-8B-Instruct --gpu H100",
        "recommend --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --price-file /dev/zero",
    };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
        lp_test_cli_usage(reads[i], "/dev/zero holds binary data (a NUL byte at offset 0)");
}

static void test_bad_flags(void **state) {
    (void)state;
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 --bogus", "unknown option \"--bogus\"");
    lp_test_cli_usage("estimate --gpu H100", "--params-b");
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 --method guess", "--method");
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 --request-rate fast", "--request-rate");
    /* a distribution's message names the one flag at fault, and refuses absurd lengths */
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 --input-len-dist zipf:1",
                      "--input-len-dist: expected normal:MEAN,SD, uniform:LO,HI");
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 --output-len-dist uniform:10,1e300",
                      "--output-len-dist: expected uniform:LO,HI with 1 <= LO <= HI <= 10000000");
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 --output-len-dist normal:nan,3",
                      "--output-len-dist: expected normal:MEAN,SD");
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 --interconnect smoke", "--interconnect");
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 --num-prompts 0", "--num-prompts");
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 --dataset-name sonnet", "--dataset-name");
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 --random-input-len 12x",
                      "expected an integer");
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 -tp 0",
                      "--tensor-parallel-size: expected an integer from 1 to 1024");
    lp_test_cli_usage("estimate --params-b 7 --gpu NoSuchGPU", "NoSuchGPU");
    lp_test_cli_usage("estimate --model meta-llama/Llama-3.1-8B-Instruct", "--gpu is required");
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 --method roofline", "needs a model");
    lp_test_cli_usage("estimate --params-b 7 --gpu H100 -q squeezed", "squeezed");
}

static void test_infeasible_and_help(void **state) {
    (void)state;
    /* Qwen2.5-72B in bf16 (~145 GB of weights) cannot fit one 24 GB card */
    char *out = lp_test_cli("estimate --model Qwen/Qwen2.5-72B-Instruct --gpu \"RTX 4090\" "
                            "--method heuristic 2>&1",
                            3);
    assert_non_null(strstr(out, "does not fit"));
    free(out);
    /* a prompt longer than max-model-len: vLLM refuses it, and so does every method (issue 13:
     * the roofline estimated it as valid while simulate refused) */
    const char *methods[] = {"roofline", "simulate", "heuristic"};
    for (size_t i = 0; i < 3; i++) {
        char args[512];
        snprintf(args, sizeof args,
                 "estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --method %s "
                 "--random-input-len 200000 --max-model-len 16000 2>&1",
                 methods[i]);
        out = lp_test_cli(args, 3);
        assert_non_null(strstr(out, "max-model-len 16000"));
        free(out);
    }
    json_t *j = lp_test_cli_json("estimate --model Qwen/Qwen2.5-72B-Instruct --gpu \"RTX 4090\" "
                                 "--method heuristic --json 2>/dev/null",
                                 3);
    assert_true(json_is_false(json_object_get(j, "valid")));
    assert_true(json_is_string(json_object_get(j, "error")));
    json_decref(j);
    out = lp_test_cli("estimate --help", 0);
    assert_non_null(strstr(out, "--batch configs.jsonl --json"));
    assert_non_null(strstr(out, "--params-b 13 --gpu \"RTX 4090\" --method heuristic"));
    assert_non_null(strstr(out, "--max-concurrency"));
    free(out);
    out = lp_test_cli("help", 0);
    assert_non_null(strstr(out, "estimate"));
    free(out);
}

/* A batch longer than one chunk (the CLI reads 4096 lines at a time and splits each chunk over
 * its threads): every input line answered once, in input order, the bad ones where they were
 * written, and the same answer for the same request wherever it stands in the file. */
static void test_batch_streams_in_order(void **state) {
    (void)state;
    enum { LINES = 9000 };
    char path[256], args[512];
    size_t cap = (size_t)LINES * 128, used = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 1; i <= LINES; i++) {
        if (i % 1000 == 7) /* a misspelt field: that line, and only it, is invalid */
            used +=
                (size_t)snprintf(text + used, cap - used, "{\"params_b\": 7, \"tp_szie\": 2}\n");
        else
            used += (size_t)snprintf(text + used, cap - used,
                                     "{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", "
                                     "\"input_len\": %d, \"output_len\": 128}\n",
                                     100 + i % 50);
    }
    lp_test_write_temp(path, sizeof path, text);
    free(text);
    snprintf(args, sizeof args, "estimate --batch '%s' --json 2>/dev/null", path);
    char *out = lp_test_cli(args, 3);
    int n = 0;
    double first_ttft[50] = {0};
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        n++;
        json_t *j = json_loads(line, 0, NULL);
        if (!j)
            fail_msg("output line %d is not JSON", n);
        assert_int_equal(json_integer_value(json_object_get(j, "line")), n);
        bool valid = json_is_true(json_object_get(j, "valid"));
        assert_true(valid == (n % 1000 != 7));
        if (valid) {
            /* the same request (input 100 + n % 50) gets the same TTFT wherever it is */
            double ttft = json_number_value(json_object_get(j, "mean_ttft_ms"));
            assert_true(ttft > 0);
            if (first_ttft[n % 50] == 0)
                first_ttft[n % 50] = ttft;
            lp_assert_near(ttft, first_ttft[n % 50], 0);
        }
        json_decref(j);
    }
    assert_int_equal(n, LINES);
    free(out);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_roofline),
        cmocka_unit_test(test_example_simulate),
        cmocka_unit_test(test_example_heuristic),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_batch_streams_in_order),
        cmocka_unit_test(test_batch_answers_as_it_reads),
        cmocka_unit_test(test_workload_flags),
        cmocka_unit_test(test_burstiness_and_sharegpt_output_len_flags),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_infeasible_and_help),
        cmocka_unit_test(test_rented_gpus),
        cmocka_unit_test(test_hardening),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
