/* tests/integ/test_prefilter.c - `mreza match` with its prefilter against the same
 * run without it (--no-prefilter: every line matched in full). The prefilter may only
 * ever skip work, never a match, so both outputs must be identical, byte for byte,
 * on logs built to probe its corners: keys in other case, with trailing dots, as
 * subdomains, inside ranges of every length, URLs with ports, userinfo, escapes and
 * dot segments, upper-case hashes, e-mails, IPv6 forms, JSON escapes and nesting,
 * defanged text, CSV and Zeek columns, random junk. The indicators are random too
 * (seeded), imported into a real node; the prefilter must also actually filter (most
 * lines skip the full matcher), and must turn itself off when some pattern has to be
 * evaluated on every value. JSON lines without a field list take the first-stage
 * scanner's path (match/jscan.h): those logs are matched again on each of its kernels
 * this CPU runs (MREZA_JSCAN_KERNEL), with the same output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "match/jscan.h"

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"

static struct hnode node;
static uint64_t rng_state = 42;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned pick(unsigned n)
{
    return (unsigned)(rnd() % n);
}

#define N_DOM 150
#define N_IP 150
#define N_NET 40
#define N_URL 60
#define N_HASH 60
#define N_MAIL 20
#define N_V6 20

static char dom[N_DOM][48], url_host[N_URL][48], hash[N_HASH][65], mail[N_MAIL][64];
static uint32_t ip[N_IP], net[N_NET];
static int prefix[N_NET];
static unsigned v6[N_V6];
static int n_objects;

static void label(char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('a' + pick(26));
    out[n] = '\0';
}

static void domain(char *out, size_t cap)
{
    char a[12], b[8];
    static const char *const tlds[] = {"example", "test", "invalid", "com"};
    label(a, 3 + pick(6));
    label(b, 2 + pick(4));
    snprintf(out, cap, "%s.%s.%s", a, b, tlds[pick(4)]);
}

static void ip_text(uint32_t a, char *out, size_t cap)
{
    snprintf(out, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* Addresses from a small space, so that log values fall into ranges often. */
static uint32_t addr(void)
{
    return (198u << 24) | (51u << 16) | (uint32_t)pick(1u << 16);
}

static void indicator(FILE *f, const char *pattern)
{
    fprintf(f,
            "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--5a5a5a5a-0000-4000-8000-%012d\","
            "\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
            "\"pattern\":\"%s\",\"pattern_type\":\"stix\",\"valid_from\":\"2025-01-01T00:00:00Z\","
            "\"object_marking_refs\":[\"" GREEN "\"]}",
            n_objects % 1000 ? "," : "", n_objects + 1, pattern);
    n_objects++;
}

static void upper_some(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z' && pick(3) == 0)
            *s = (char)(*s - 32);
}

static void write_bundle(const char *path)
{
    FILE *f = fopen(path, "w");
    char p[400], t[80];

    assert_non_null(f);
    fprintf(f, "{\"type\":\"bundle\",\"id\":\"bundle--5a5a5a5a-0000-4000-8000-000000000000\",\"objects\":[");
    for (int i = 0; i < N_DOM; i++) {
        domain(dom[i], sizeof dom[i]);
        snprintf(t, sizeof t, "%s", dom[i]);
        upper_some(t);
        /* some indicators name a parent only: the log's subdomains match through it */
        snprintf(p, sizeof p, "[domain-name:value = '%s%s']", i % 5 ? t : strchr(t, '.') + 1, i % 7 ? "" : ".");
        if (i % 5 == 0)
            memmove(dom[i], strchr(dom[i], '.') + 1, strlen(strchr(dom[i], '.') + 1) + 1);
        indicator(f, p);
    }
    for (int i = 0; i < N_IP; i++) {
        ip[i] = addr();
        ip_text(ip[i], t, sizeof t);
        snprintf(p, sizeof p, "[ipv4-addr:value = '%s']", t);
        indicator(f, p);
    }
    for (int i = 0; i < N_NET; i++) {
        prefix[i] = i % 2 ? 24 + (int)pick(8) : 8 + (int)pick(16);
        net[i] = (i % 4 == 0 ? (uint32_t)rnd() : addr()) & (0xffffffffu << (32 - prefix[i]));
        ip_text(net[i], t, sizeof t);
        snprintf(p, sizeof p, "[ipv4-addr:value ISSUBSET '%s/%d']", t, prefix[i]);
        indicator(f, p);
    }
    for (int i = 0; i < N_URL; i++) {
        domain(url_host[i], sizeof url_host[i]);
        snprintf(t, sizeof t, "%s", url_host[i]);
        upper_some(t);
        snprintf(p, sizeof p, "[url:value = 'HTTP://%s:80/a/./b/%d?q=1']", t, i);
        indicator(f, p);
    }
    for (int i = 0; i < N_HASH; i++) {
        for (int j = 0; j < 64; j++)
            hash[i][j] = "0123456789abcdef"[pick(16)];
        hash[i][i % 3 ? 64 : 32] = '\0';
        snprintf(t, sizeof t, "%.64s", hash[i]);
        upper_some(t);
        snprintf(p, sizeof p, i % 3 ? "[file:hashes.'SHA-256' = '%s']" : "[file:hashes.MD5 = '%s']", t);
        indicator(f, p);
    }
    for (int i = 0; i < N_MAIL; i++) {
        char d[48], l[12];
        domain(d, sizeof d);
        label(l, 5);
        snprintf(mail[i], sizeof mail[i], "%s@%s", l, d);
        snprintf(p, sizeof p, "[email-addr:value = '%s']", mail[i]);
        indicator(f, p);
    }
    for (int i = 0; i < N_V6; i++) {
        v6[i] = pick(0x10000);
        snprintf(p, sizeof p, i % 4 ? "[ipv6-addr:value = '2001:db8:%x::1']" : "[ipv6-addr:value ISSUBSET '2001:db8:%x::/48']", v6[i]);
        indicator(f, p);
    }
    /* a candidate (index key + the whole observation evaluated) and a wallet */
    snprintf(p, sizeof p, "[ipv4-addr:value = '%u.%u.%u.%u' AND ipv4-addr:value != '0.0.0.0']", ip[1] >> 24,
             (ip[1] >> 16) & 255, (ip[1] >> 8) & 255, ip[1] & 255);
    indicator(f, p);
    indicator(f, "[x-cryptocurrency-wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']");
    fprintf(f, "]}\n");
    fclose(f);
}

/* One value that may or may not match, in one of many shapes. */
static void value(char *out, size_t cap)
{
    char t[200];
    uint32_t a;
    int i;

    switch (pick(16)) {
    case 0: /* a key domain, maybe in other case, maybe with a trailing dot or as a subdomain */
        i = (int)pick(N_DOM);
        snprintf(t, sizeof t, "%s%s%s", pick(2) ? "www." : "", dom[i], pick(4) ? "" : ".");
        upper_some(t);
        snprintf(out, cap, "%s", t);
        break;
    case 1: /* a domain glued to a key or extending it: no match */
        i = (int)pick(N_DOM);
        snprintf(out, cap, pick(2) ? "x%s" : "%s.org", dom[i]);
        break;
    case 2:
        ip_text(ip[pick(N_IP)], out, cap);
        break;
    case 3: /* inside or just outside a range */
        i = (int)pick(N_NET);
        a = net[i] | ((uint32_t)rnd() & ~(0xffffffffu << (32 - prefix[i])));
        ip_text(pick(4) ? a : a + (1u << (32 - prefix[i])), out, cap);
        break;
    case 4:
        ip_text(addr(), out, cap);
        break;
    case 5: /* URLs: case, ports, userinfo, escapes, dot segments, other paths */
        i = (int)pick(N_URL);
        snprintf(t, sizeof t, "%s", url_host[i]);
        upper_some(t);
        switch (pick(6)) {
        case 0: snprintf(out, cap, "http://%s/a/b/%d?q=1", t, i); break;
        case 1: snprintf(out, cap, "HTTP://%s:80/a/%%62/%d?q=1", t, i); break;
        case 2: snprintf(out, cap, "http://user@%s/a/b/%d?q=1", t, i); break;
        case 3: snprintf(out, cap, "https://%s/a/b/%d?q=1", t, i); break;
        case 4: snprintf(out, cap, "http://%s./a/../a/b/%d?q=1", t, i); break;
        default: snprintf(out, cap, "http://%s:8080/other", t); break;
        }
        break;
    case 6: /* a URL whose host is a key domain or address */
        if (pick(2))
            snprintf(out, cap, "http://sub.%s/x", dom[pick(N_DOM)]);
        else {
            ip_text(ip[pick(N_IP)], t, sizeof t);
            snprintf(out, cap, "https://%s:8443/x", t);
        }
        break;
    case 7:
        snprintf(t, sizeof t, "%.64s", hash[pick(N_HASH)]);
        upper_some(t);
        snprintf(out, cap, "%s", t);
        break;
    case 8:
        snprintf(t, sizeof t, "%s", mail[pick(N_MAIL)]);
        upper_some(t);
        snprintf(out, cap, "%s", t);
        break;
    case 9: /* IPv6 in several spellings, and IPv4-mapped */
        i = (int)pick(N_V6);
        switch (pick(3)) {
        case 0: snprintf(out, cap, "2001:db8:%x::1", v6[i]); break;
        case 1: snprintf(out, cap, "2001:0DB8:%04X:0:0:0:0:%x", v6[i], 1 + pick(3)); break;
        default: ip_text(ip[pick(N_IP)], t, sizeof t); snprintf(out, cap, "::ffff:%s", t); break;
        }
        break;
    case 10:
        snprintf(out, cap, "%s", pick(2) ? "1BoatSLRHtKNngkdXEeobR76b53LETtpyT" : "2025-06-01T00:00:00.005Z");
        break;
    case 11: /* junk: numbers, words, near-addresses */
        switch (pick(4)) {
        case 0: snprintf(out, cap, "%u", (unsigned)pick(100000)); break;
        case 1: snprintf(out, cap, "GET"); break;
        case 2: ip_text(ip[pick(N_IP)], t, sizeof t); snprintf(out, cap, "%s0", t); break;
        default: snprintf(out, cap, "01.2.3.4"); break;
        }
        break;
    default:
        domain(out, cap);
        break;
    }
}

/* JSON string contents: '/' sometimes escaped as "\/" (the scanner decodes it). */
static void json_str(FILE *f, const char *s)
{
    int escape = pick(8) == 0;
    fputc('"', f);
    for (; *s; s++)
        if (*s == '/' && escape)
            fputs("\\/", f);
        else if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else
            fputc(*s, f);
    fputc('"', f);
}

static void write_json_log(const char *path, int lines)
{
    FILE *f = fopen(path, "w");
    char v[300];

    assert_non_null(f);
    for (int l = 0; l < lines; l++) {
        int n = 1 + (int)pick(4);
        fputs(pick(10) ? "{" : " { ", f);
        fputs("\"ts\":\"2025-06-01T00:00:00Z\"", f);
        for (int k = 0; k < n; k++) {
            value(v, sizeof v);
            fprintf(f, ",\"f%d\":", k);
            if (pick(10) == 0) {
                fputs("{\"inner\":[", f);
                json_str(f, v);
                fputs(",1]}", f);
            } else {
                json_str(f, v);
            }
        }
        fprintf(f, ",\"n\":%d,\"ok\":true}\n", l);
        if (pick(50) == 0)
            fputs("{\"broken\": \n", f);
    }
    fclose(f);
}

static void defang(char *s)
{
    char *p = strstr(s, "http");
    if (p && pick(2))
        p[1] = p[2] = 'x';
    if ((p = strrchr(s, '.')) != NULL && pick(2)) {
        memmove(p + 3, p + 1, strlen(p + 1) + 1);
        p[0] = '[';
        p[1] = '.';
        p[2] = ']';
    }
}

static void write_text_log(const char *path, int lines)
{
    FILE *f = fopen(path, "w");
    char v[300];

    assert_non_null(f);
    for (int l = 0; l < lines; l++) {
        value(v, sizeof v - 8);
        if (pick(3) == 0)
            defang(v);
        fprintf(f, "%s alert %d: seen %s from host\n", pick(2) ? "Jun  1" : "2025-06-01", l, v);
    }
    fclose(f);
}

static void write_csv_log(const char *path, int lines)
{
    FILE *f = fopen(path, "w");
    char a[300], b[300];

    assert_non_null(f);
    /* a blank line and a line of only a byte order mark before the header: the header
     * is still the first line with something in it, for every piece */
    fputs("\n\xEF\xBB\xBF\ntime,src,dst,url\n", f);
    for (int l = 0; l < lines; l++) {
        value(a, sizeof a);
        value(b, sizeof b);
        fprintf(f, "2025-06-01,%s,\"%s\",%s\n", a, b, strchr(a, ',') ? "x" : a);
    }
    fclose(f);
}

static void write_zeek_log(const char *path, int lines)
{
    FILE *f = fopen(path, "w");
    char a[300], b[300];

    assert_non_null(f);
    fputs("#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.resp_h\tquery\n#types\ttime\tstring\taddr\taddr\tstring\n", f);
    for (int l = 0; l < lines; l++) {
        value(a, sizeof a);
        value(b, sizeof b);
        if (l == lines / 2) /* a second log after the first, as `cat` makes: other columns */
            fputs("#close\t2025-06-01-00-00-00\n#separator \\x09\n#path\tdns\n"
                  "#fields\tquery\tts\tanswers\tuid\n#types\tstring\ttime\tvector[string]\tstring\n", f);
        if (l == lines * 3 / 4) /* a malformed "#separator": skipped, it changes nothing */
            fputs("#separator\n#separatorX \\x09\n", f);
        if (l < lines / 2)
            fprintf(f, "1717200000.0\tC%d\t10.0.0.%d\t%s\t%s\n", l, l % 250, a, b);
        else
            fprintf(f, "%s\t1717200000.0\t%s,10.0.0.%d\tC%d\n", b, a, l % 250, l);
    }
    fclose(f);
}

/* Suricata EVE: the field set preselected, with kind hints (dns.rrname a domain,
 * src_ip an address, fileinfo.sha256 a hash, http.hostname + url joined into a URL). */
static void write_eve_log(const char *path, int lines)
{
    FILE *f = fopen(path, "w");
    char a[300], b[300], c[300];

    assert_non_null(f);
    for (int l = 0; l < lines; l++) {
        value(a, sizeof a);
        value(b, sizeof b);
        value(c, sizeof c);
        switch (l % 4) {
        case 0:
            fprintf(f, "{\"event_type\":\"dns\",\"src_ip\":");
            json_str(f, a);
            fprintf(f, ",\"dns\":{\"rrname\":");
            json_str(f, b);
            fprintf(f, "}}\n");
            break;
        case 1:
            fprintf(f, "{\"event_type\":\"http\",\"dest_ip\":");
            json_str(f, a);
            fprintf(f, ",\"http\":{\"hostname\":");
            json_str(f, b);
            fprintf(f, ",\"url\":\"/x/%d\"}}\n", l);
            break;
        case 2:
            fprintf(f, "{\"event_type\":\"fileinfo\",\"fileinfo\":{\"sha256\":");
            json_str(f, a);
            fprintf(f, ",\"md5\":");
            json_str(f, b);
            fprintf(f, "}}\n");
            break;
        default:
            fprintf(f, "{\"event_type\":\"tls\",\"tls\":{\"sni\":");
            json_str(f, a);
            fprintf(f, "},\"http\":{\"url\":");
            json_str(f, c);
            fprintf(f, "}}\n");
            break;
        }
    }
    fclose(f);
}

static int setup(void **state)
{
    char key[64], bundle[400];
    const char *const imp[] = {"import", bundle, "--user", "analyst@rs-cert", NULL};
    char *out = NULL, *err = NULL;

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_user(&node, "analyst@rs-cert", "rs-cert", "analyst", key);
    snprintf(bundle, sizeof bundle, "%s/iocs.json", node.dir);
    write_bundle(bundle);
    if (h_cli_err(&node, &out, &err, imp) != 0)
        fail_msg("import failed: %s %s", out, err);
    free(out);
    free(err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    /* no server was started here: h_stop's -1 ("not running") is expected */
    return h_node_free(&node) > 0;
}

/* Do two summaries of `mreza match` give the same counts ("N lines, ..." up to the
 * time taken)? */
static int same_counts(const char *a, const char *b)
{
    const char *pa = strstr(a, " lines, "), *pb = strstr(b, " lines, "), *ea = strrchr(a, ';'), *eb = strrchr(b, ';');

    if (!pa || !pb || !ea || !eb)
        return 0;
    while (pa > a && pa[-1] >= '0' && pa[-1] <= '9')
        pa--;
    while (pb > b && pb[-1] >= '0' && pb[-1] <= '9')
        pb--;
    return ea - pa == eb - pb && ea > pa && memcmp(pa, pb, (size_t)(ea - pa)) == 0;
}

/* Runs the match with and without the prefilter; returns the lines matched in full. */
static long both_ways(const char *log, const char *format, long *n_out)
{
    const char *const with[] = {"match", "--as", "rs-cert", "--format", format, log, NULL};
    const char *const without[] = {"match", "--as", "rs-cert", "--format", format, "--no-prefilter", log, NULL};
    char *out1 = NULL, *out2 = NULL, *err1 = NULL, *err2 = NULL;
    const char *p;
    long full = -1, n = 0;

    const char *const pieces[] = {"match", "--as", "rs-cert", "--format", format, "--threads", "3",
                                  "--piece-size", "300", log, NULL};
    const char *const one[] = {"match", "--as", "rs-cert", "--format", format, "--threads", "1", log, NULL};
    char *out3 = NULL, *err3 = NULL, *out4 = NULL, *err4 = NULL;

    assert_int_equal(h_cli_err(&node, &out1, &err1, with), 0);
    assert_int_equal(h_cli_err(&node, &out2, &err2, without), 0);
    if (strcmp(out1, out2) != 0)
        fail_msg("%s: the prefilter changed the matches\nwith:\n%.2000s\nwithout:\n%.2000s", format, out1, out2);
    /* three threads taking pieces of 300 bytes (hundreds of them) in turn: the same
     * matches in the same order, the same counts in the summary */
    assert_int_equal(h_cli_err(&node, &out3, &err3, pieces), 0);
    if (strcmp(out1, out3) != 0)
        fail_msg("%s: small pieces changed the matches\none piece per thread:\n%.2000s\npieces:\n%.2000s", format,
                 out1, out3);
    if (!same_counts(err1, err3))
        fail_msg("%s: small pieces changed the summary:\n%s%s", format, err1, err3);
    /* and one thread reading it all in order says the same */
    assert_int_equal(h_cli_err(&node, &out4, &err4, one), 0);
    if (strcmp(out1, out4) != 0 || !same_counts(err1, err4))
        fail_msg("%s: threads changed the matches\ntwo:\n%.2000s\none:\n%.2000s", format, out1, out4);
    free(out3);
    free(err3);
    free(out4);
    free(err4);
    for (p = out1; (p = strchr(p, '\n')) != NULL; p++)
        n++;
    p = strstr(err1, "prefilter: ");
    if (p)
        full = strtol(p + 11, NULL, 10);
    assert_non_null(strstr(err2, "prefilter off (--no-prefilter)"));
    print_message("%s: %ld matched values; %s", format, n, err1);
    free(out1);
    free(out2);
    free(err1);
    free(err2);
    *n_out = n;
    return full;
}

/* The JSON log's matches with the prefilter, on each jscan kernel this CPU runs (the
 * plain one always), must be those without the prefilter. Prints the kernels run. */
static void every_kernel(const char *log)
{
    const char *const with[] = {"match", "--as", "rs-cert", "--format", "json", log, NULL};
    const char *const without[] = {"match", "--as", "rs-cert", "--format", "json", "--no-prefilter", log, NULL};
    static const enum jscan_kernel kernels[] = {JSCAN_SCALAR, JSCAN_SSSE3, JSCAN_AVX2};
    char *want = NULL, names[64] = "";
    int n = 0;

    assert_int_equal(h_cli(&node, &want, without), 0);
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        struct jscan *runs = jscan_new_kernel(kernels[k]);
        const char *name = jscan_kernel_name(kernels[k]);
        char *got = NULL;

        if (!runs)
            continue; /* not on this CPU */
        free(runs);
        assert_int_equal(setenv("MREZA_JSCAN_KERNEL", name, 1), 0);
        assert_int_equal(h_cli(&node, &got, with), 0);
        assert_int_equal(unsetenv("MREZA_JSCAN_KERNEL"), 0);
        if (strcmp(got, want) != 0)
            fail_msg("jscan kernel %s changed the matches\nwith it:\n%.2000s\nwithout the prefilter:\n%.2000s", name,
                     got, want);
        free(got);
        snprintf(names + strlen(names), sizeof names - strlen(names), " %s", name);
        n++;
    }
    free(want);
    assert_true(n >= 1 && strncmp(names, " plain", 6) == 0);
    print_message("jscan kernels tested:%s\n", names);
}

static void test_prefilter_changes_nothing(void **state)
{
    char log[400];
    long n, full;
    const int lines = 4000;

    (void)state;
    snprintf(log, sizeof log, "%s/log.jsonl", node.dir);
    write_json_log(log, lines);
    full = both_ways(log, "json", &n);
    every_kernel(log);
    assert_true(n > 500);           /* the logs do match, often */
    assert_true(full >= 0);         /* the prefilter was on */
    assert_true(full < lines * 9 / 10);
    snprintf(log, sizeof log, "%s/log.txt", node.dir);
    write_text_log(log, lines);
    assert_true(both_ways(log, "text", &n) >= 0);
    assert_true(n > 200);
    snprintf(log, sizeof log, "%s/log.csv", node.dir);
    write_csv_log(log, lines);
    assert_true(both_ways(log, "csv", &n) >= 0);
    assert_true(n > 200);
    snprintf(log, sizeof log, "%s/conn.log", node.dir);
    write_zeek_log(log, lines);
    assert_true(both_ways(log, "zeek", &n) >= 0);
    assert_true(n > 200);
    snprintf(log, sizeof log, "%s/eve.json", node.dir);
    write_eve_log(log, lines);
    assert_true(both_ways(log, "eve", &n) >= 0);
    assert_true(n > 200);
}

/* Mostly lines without a single indicator: nearly all of them skip the full matcher. */
static void test_prefilter_filters(void **state)
{
    char log[400], d[64];
    FILE *f;
    long n, full;

    (void)state;
    snprintf(log, sizeof log, "%s/quiet.jsonl", node.dir);
    f = fopen(log, "w");
    assert_non_null(f);
    for (int l = 0; l < 5000; l++) {
        label(d, 4 + pick(8));
        strcat(d, ".quiet");
        fprintf(f, "{\"ts\":\"2025-06-01T00:00:%02dZ\",\"client\":\"10.%d.%d.%d\",\"query\":\"%s\",\"answer\":\"192.0.2.%d\",\"status\":200}\n",
                l % 60, l % 200, l % 100, l % 250, d, l % 250);
    }
    fprintf(f, "{\"query\":\"www.%s\"}\n", dom[3]);
    /* more values than the prefilter keeps probes for (128), and more than the JSON
     * scanner keeps candidates for (256; a line's first 256 values are looked at):
     * the indicator as the 150th and the 200th value must still match */
    for (int big = 150; big <= 300; big += 150) {
        fputc('{', f);
        for (int k = 0; k < big; k++) {
            label(d, 6);
            if (k == (big == 150 ? 149 : 199))
                fprintf(f, "\"k%d\":\"%s\",", k, dom[5]);
            else
                fprintf(f, "\"k%d\":\"a.b.%s.quiet\",", k, d);
        }
        fprintf(f, "\"last\":1}\n");
    }
    fclose(f);
    full = both_ways(log, "json", &n);
    every_kernel(log);
    assert_int_equal(n, 3);
    assert_true(full >= 3 && full < 100);
}

/* A pattern without an index key is evaluated on every value: no prefilter then. */
static void test_prefilter_off_with_scan_pattern(void **state)
{
    char bundle[400], log[400];
    const char *const imp[] = {"import", bundle, "--user", "analyst@rs-cert", NULL};
    const char *const m[] = {"match", "--as", "rs-cert", "--format", "json", log, NULL};
    char *out = NULL, *err = NULL;
    FILE *f;

    (void)state;
    snprintf(bundle, sizeof bundle, "%s/scan.json", node.dir);
    f = fopen(bundle, "w");
    assert_non_null(f);
    n_objects = 1000;
    fprintf(f, "{\"type\":\"bundle\",\"id\":\"bundle--5a5a5a5a-0000-4000-8000-000000000001\",\"objects\":[");
    indicator(f, "[domain-name:value LIKE '%.scan.example']");
    fprintf(f, "]}\n");
    fclose(f);
    assert_int_equal(h_cli(&node, &out, imp), 0);
    free(out);
    snprintf(log, sizeof log, "%s/scan.jsonl", node.dir);
    f = fopen(log, "w");
    assert_non_null(f);
    fprintf(f, "{\"query\":\"a.scan.example\"}\n{\"query\":\"benign.example\"}\n");
    fclose(f);
    assert_int_equal(h_cli_err(&node, &out, &err, m), 0);
    assert_non_null(strstr(err, "prefilter off (a pattern is evaluated on every value)"));
    assert_non_null(strstr(out, "a.scan.example"));
    free(out);
    free(err);
}

/* Without IPv6 keys, an IPv6 value can still match: IPv4-mapped, in any spelling. */
static void test_ipv4_mapped_without_ipv6_keys(void **state)
{
    struct hnode n2;
    char key[64], bundle[400], log[400];
    const char *const imp[] = {"import", bundle, "--user", "a@xo", NULL};
    const char *const with[] = {"match", "--as", "xo", "--format", "json", log, NULL};
    const char *const without[] = {"match", "--as", "xo", "--format", "json", "--no-prefilter", log, NULL};
    char *out1 = NULL, *out2 = NULL;
    FILE *f;

    (void)state;
    h_node_init(&n2);
    h_add_org(&n2, "xo", "RS", "national-csirt");
    h_add_user(&n2, "a@xo", "xo", "analyst", key);
    snprintf(bundle, sizeof bundle, "%s/v4.json", n2.dir);
    f = fopen(bundle, "w");
    assert_non_null(f);
    n_objects = 2000;
    fprintf(f, "{\"type\":\"bundle\",\"id\":\"bundle--5a5a5a5a-0000-4000-8000-000000000002\",\"objects\":[");
    indicator(f, "[ipv4-addr:value = '198.51.100.1']");
    fprintf(f, "]}\n");
    fclose(f);
    assert_int_equal(h_cli(&n2, &out1, imp), 0);
    free(out1);
    snprintf(log, sizeof log, "%s/v6.jsonl", n2.dir);
    f = fopen(log, "w");
    assert_non_null(f);
    fprintf(f, "{\"a\":\"::ffff:198.51.100.1\"}\n{\"a\":\"0:0:0:0:0:FFFF:c633:6401\"}\n"
               "{\"a\":\"::fFfF:C633:6401\"}\n{\"a\":\"2001:db8::1\"}\n{\"a\":\"::ffff:198.51.100.2\"}\n");
    fclose(f);
    assert_int_equal(h_cli(&n2, &out1, with), 0);
    assert_int_equal(h_cli(&n2, &out2, without), 0);
    assert_string_equal(out1, out2);
    assert_non_null(strstr(out1, "\"line\":1,"));
    assert_non_null(strstr(out1, "\"line\":2,"));
    assert_non_null(strstr(out1, "\"line\":3,"));
    assert_null(strstr(out1, "\"line\":4,"));
    assert_null(strstr(out1, "\"line\":5,"));
    free(out1);
    free(out2);
    assert_true(h_node_free(&n2) <= 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefilter_changes_nothing),
        cmocka_unit_test(test_prefilter_filters),
        cmocka_unit_test(test_ipv4_mapped_without_ipv6_keys),
        cmocka_unit_test(test_prefilter_off_with_scan_pattern),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
