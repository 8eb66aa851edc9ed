/*
 * cmd_serve.c - `llmplan serve`: the planner as a local web page and JSON API.
 *
 * Parses the flags, starts the server of src/web (lp_web_server_start), prints the address it
 * listens on (the first line of stdout, so that scripts and tests can read a port chosen with
 * --port 0) and waits for SIGINT or SIGTERM, then stops it cleanly. Binds 127.0.0.1 unless
 * --host names another address; all interfaces only when --host says 0.0.0.0 or ::.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "llmplan/web.h"

static void print_help(const lp_opt *opts) {
    printf("Usage: llmplan serve [--host ADDR] [--port N] [options]\n"
           "\n"
           "Serves the planner as a web page at / and a JSON API on this machine:\n"
           "  POST /v1/plan       {\"model\": ID | \"config\": {config.json}, \"gpu\": NAME,\n"
           "                       \"tensor_parallel_size\": N, ... vLLM engine arguments}\n"
           "  POST /v1/estimate   one request object as in `llmplan estimate --batch` lines\n"
           "  POST /v1/recommend  {\"model\": ID, \"gpus\": [...], \"input_len\": N, targets ...}\n"
           "  POST /v1/explain    a plan request with a workload and targets\n"
           "  POST /v1/compare    {\"result\": {vllm bench serve --save-result}, \"log\": TEXT,\n"
           "                       \"gpu\": NAME, ... vLLM engine arguments}\n"
           "  GET  /v1/gpus, /v1/models[?q=text], /health\n"
           "Responses are the JSON `llmplan plan|estimate|recommend|explain|compare --json`\n"
           "prints; bad input is a 4xx with {\"error\": \"...\"}. Models come from the embedded\n"
           "catalog or a pasted config.json: the server opens no file a client names.\n"
           "\n"
           "Options:\n");
    lp_opts_print(opts);
    printf("\nLimits (README.md, \"Server limits\"): estimates and searches are computed by\n"
           "--workers threads; --queue more may wait, the next gets 503 with Retry-After. Each\n"
           "gets --request-timeout seconds from its arrival, queueing included (then 503), at\n"
           "most --max-sim-steps engine steps per simulation and --max-search-configs\n"
           "configurations per search (then 413), and stops when its client hangs up. A client\n"
           "has --timeout seconds to send a whole request, counted from when it connects or\n"
           "got its previous answer, however slowly it trickles bytes. /health, the page and\n"
           "plans are answered at once by the connection threads.\n"
           "Browsers: the Host header must be an IP address, localhost or an --allow-host name\n"
           "(DNS rebinding), and a POST from a web page is refused unless its origin is this\n"
           "server or an --allow-origin one (cross-site requests).\n"
           "\nThe first line of output is \"listening on http://HOST:PORT/\" (with --port 0 the\n"
           "port the system chose). Ctrl-C or SIGTERM stops the server.\n"
           "\nExamples:\n"
           "  llmplan serve\n"
           "  llmplan serve --port 9000 --workers 4 --request-timeout 60\n"
           "  llmplan serve --host 0.0.0.0 --allow-host planner.lan\n"
           "\nExit codes: 0 stopped by a signal, 1 could not serve, 2 bad usage.\n");
}

/* Connections are descriptors: let this process open as many as its hard limit allows. */
static void raise_file_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int lp_cmd_serve(int argc, char **argv) {
    const char *host = LP_WEB_DEFAULT_HOST, *allow_hosts = NULL, *allow_origins = NULL;
    int64_t port = LP_WEB_DEFAULT_PORT, threads = 0, workers = 0, queue = 0, max_connections = 0;
    int64_t timeout = 10, max_sim_steps = 5000000, max_search_configs = 500000;
    double request_timeout = 20;
    bool help = false, quiet = false;
    const lp_opt opts[] = {
        {"--host", NULL, LP_OPT_STRING, &host, "ADDR",
         "address to listen on (default 127.0.0.1; 0.0.0.0 = every interface)", NULL},
        {"--port", "-p", LP_OPT_INT, &port, "N", "TCP port (default 8080; 0: any free port)", NULL},
        {"--threads", NULL, LP_OPT_INT, &threads, "N",
         "connection threads (default 0: one per CPU)", NULL},
        {"--workers", NULL, LP_OPT_INT, &workers, "N",
         "threads computing estimates and searches (default 0: one per CPU)", NULL},
        {"--queue", NULL, LP_OPT_INT, &queue, "N",
         "requests that may wait for a worker (default 0: 4 per worker)", NULL},
        {"--max-connections", NULL, LP_OPT_INT, &max_connections, "N",
         "open connections at once (default 0: 1024, or what ulimit -n allows)", NULL},
        {"--timeout", NULL, LP_OPT_INT, &timeout, "S",
         "seconds a client has to send a request, or may stay idle (default 10)", NULL},
        {"--request-timeout", NULL, LP_OPT_DOUBLE, &request_timeout, "S",
         "seconds to compute one request, queueing included (default 20)", NULL},
        {"--max-sim-steps", NULL, LP_OPT_INT, &max_sim_steps, "N",
         "engine steps one simulation may take (default 5000000)", NULL},
        {"--max-search-configs", NULL, LP_OPT_INT, &max_search_configs, "N",
         "configurations one recommend search may try (default 500000)", NULL},
        {"--allow-host", NULL, LP_OPT_STRING, &allow_hosts, "NAMES",
         "more Host names to answer, comma-separated (* = any)", NULL},
        {"--allow-origin", NULL, LP_OPT_STRING, &allow_origins, "ORIGINS",
         "web origins that may POST, comma-separated (https://app.example; * = any)", NULL},
        {"--quiet", "-q", LP_OPT_FLAG, &quiet, NULL, "no server log on stderr", NULL},
        LP_OPT_HELP_AND_END(help),
    };
    int rc = lp_opts_command("serve", opts, argc, argv, 2, &help, print_help);
    if (rc != LP_OPTS_RUN)
        return rc;
    if (!lp_web_server_available()) {
        fprintf(stderr, "llmplan serve: this llmplan was built without libmicrohttpd, so it "
                        "cannot serve; install libmicrohttpd-dev (scripts/install-deps.sh) and "
                        "rebuild\n");
        return LP_EXIT_FAILURE;
    }
    if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
        fprintf(stderr,
                "llmplan serve: listening on every interface (--host %s): anyone who can "
                "reach this machine can use the planner\n",
                host);

    /* Block the stop signals in every thread (the server's inherit the mask) and take them
     * here with sigwait: no handler runs in the middle of a request. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    lp_web_opts wo;
    lp_web_opts_init(&wo);
    wo.host = host;
    wo.port = (int)port;
    wo.threads = (unsigned)threads;
    wo.workers = (unsigned)workers;
    wo.queue = (unsigned)queue;
    wo.max_connections = (unsigned)max_connections;
    wo.timeout_s = (unsigned)timeout;
    wo.request_timeout_s = request_timeout;
    wo.max_sim_steps = max_sim_steps;
    wo.max_search_configs = max_search_configs;
    wo.allow_hosts = allow_hosts;
    wo.allow_origins = allow_origins;
    wo.quiet = quiet;
    raise_file_limit();
    lp_web_server *server;
    lp_error err;
    lp_error_clear(&err);
    if (lp_web_server_start(&wo, &server, &err) != LP_OK) {
        fprintf(stderr, "llmplan serve: %s\n", err.message);
        return err.code == LP_ERR_INVALID_ARG ? LP_EXIT_USAGE : LP_EXIT_FAILURE;
    }
    bool v6 = strchr(host, ':') != NULL;
    printf("llmplan serve: listening on http://%s%s%s:%d/\n", v6 ? "[" : "", host, v6 ? "]" : "",
           lp_web_server_port(server));
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "llmplan serve: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    lp_web_server_stop(server);
    return LP_EXIT_OK;
}
