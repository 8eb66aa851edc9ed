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
           "  GET  /v1/gpus, /v1/models[?q=text], /health\n"
           "Responses are the JSON `llmplan plan|estimate|recommend --json` prints; bad input is\n"
           "a 4xx with {\"error\": \"...\"}. Models come from the embedded catalog or a pasted\n"
           "config.json: the server opens no file a client names.\n"
           "\n"
           "Options:\n");
    lp_opts_print(opts);
    printf("\nThe first line of output is \"listening on http://HOST:PORT/\" (with --port 0 the\n"
           "port the system chose). Ctrl-C or SIGTERM stops the server.\n"
           "\nExit codes: 0 stopped by a signal, 1 could not serve, 2 bad usage.\n");
}

int lp_cmd_serve(int argc, char **argv) {
    const char *host = LP_WEB_DEFAULT_HOST;
    int64_t port = LP_WEB_DEFAULT_PORT, threads = 0, max_connections = 0, timeout = 0;
    bool help = false, quiet = false;
    const lp_opt opts[] = {
        {"--host", NULL, LP_OPT_STRING, &host, "ADDR",
         "address to listen on (default 127.0.0.1; 0.0.0.0 = every interface)", NULL},
        {"--port", "-p", LP_OPT_INT, &port, "N", "TCP port (default 8080; 0: any free port)", NULL},
        {"--threads", NULL, LP_OPT_INT, &threads, "N", "worker threads (default: one per CPU)",
         NULL},
        {"--max-connections", NULL, LP_OPT_INT, &max_connections, "N",
         "open connections at once (default 256)", NULL},
        {"--timeout", NULL, LP_OPT_INT, &timeout, "S", "idle connection timeout (default 15 s)",
         NULL},
        {"--quiet", "-q", LP_OPT_FLAG, &quiet, NULL, "no server log on stderr", NULL},
        {"--help", "-h", LP_OPT_FLAG, &help, NULL, "show this help", NULL},
        {0},
    };
    if (!lp_opts_parse("serve", opts, argc, argv, 2))
        return LP_EXIT_USAGE;
    if (help) {
        print_help(opts);
        return LP_EXIT_OK;
    }
    if (!lp_web_server_available()) {
        fprintf(stderr, "llmplan serve: this llmplan was built without libmicrohttpd, so it "
                        "cannot serve; install libmicrohttpd-dev (scripts/install-deps.sh) and "
                        "rebuild\n");
        return LP_EXIT_FAILURE;
    }
    if (port < 0 || port > 65535 || threads < 0 || threads > 1024 || max_connections < 0 ||
        max_connections > 100000 || timeout < 0 || timeout > 86400) {
        fprintf(stderr, "llmplan serve: --port 0..65535, --threads 0..1024, --max-connections "
                        "0..100000, --timeout 0..86400 (see llmplan serve --help)\n");
        return LP_EXIT_USAGE;
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
    wo.max_connections = (unsigned)max_connections;
    wo.timeout_s = (unsigned)timeout;
    wo.quiet = quiet;
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
