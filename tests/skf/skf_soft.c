/*
 * skf_soft: a software GM/T 0016-2012 (SKF) device library, FOR TESTS ONLY.
 *
 * Neither Debian nor PyPI has an SM2 software token, so this small library implements the SKF
 * functions counter_app/token/skf.py calls, on top of OpenSSL 3's SM2, SM3 and SM4, so that the
 * real ctypes driver runs end to end in CI. It is compiled by the test setup (tests/skf/build.py,
 * a session fixture) into a temporary directory and never shipped or committed as a binary.
 *
 * State lives in the directory named by SKF_SOFT_STORE (a fresh one per test, as SOFTHSM2_CONF
 * gives SoftHSM a fresh token store). Each sub-directory holding a file "device" is one inserted
 * USB key; deleting the directory pulls it out:
 *
 *   $SKF_SOFT_STORE/<device>/device                label=, serial=, authkey=<32 hex digits>
 *   $SKF_SOFT_STORE/<device>/apps/<app>/pins        SM3 of each PIN, retry maxima and counters
 *   $SKF_SOFT_STORE/<device>/apps/<app>/c/<container>/sign.key|enc.key|sign.cer|enc.cer
 *
 * As a real key does: PIN retry counters are kept on the "device" and a PIN whose counter reaches
 * zero is locked (SAR_PIN_LOCKED) until the admin PIN unblocks it; creating or deleting an
 * application needs device authentication (SKF_GenRandom + SKF_DevAuth with the device
 * authentication key, SM4-ECB); private keys have no export function. The key files hold the
 * private scalar in hex: this is a test double, not a secure store.
 *
 * Built with -DQUIRK_NO_RETRY_OUT, -DQUIRK_INCORRECT_AT_ZERO and -DQUIRK_PRVKEYDECRYPT_ONLY it
 * behaves as some vendors' libraries do: a refused PIN leaves pulRetryCount unset, a PIN at zero
 * retries still answers SAR_PIN_INCORRECT, and decryption is exported only as
 * SKF_ECCPrvKeyDecrypt (tests/skf/build.py, QUIRKY).
 *
 * Private-key decryption is not in GM/T 0016-2012. Vendors add it under two names with the same
 * arguments: SKF_ECCDecrypt (GmSSL's skf.h, under SKF_HAS_ECCDECRYPT, and several vendors) and
 * SKF_ECCPrvKeyDecrypt (Longmai mToken GM3000). Both are exported here; both use the container's
 * encryption key.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

typedef uint32_t ULONG;
typedef int32_t BOOL;
typedef uint8_t BYTE;
typedef char *LPSTR;
typedef void *DEVHANDLE, *HAPPLICATION, *HCONTAINER;

#define EXPORT __attribute__((visibility("default")))

#define SAR_OK 0x00000000
#define SAR_FAIL 0x0A000001
#define SAR_NOTSUPPORTYETERR 0x0A000003
#define SAR_FILEERR 0x0A000004
#define SAR_INVALIDHANDLEERR 0x0A000005
#define SAR_INVALIDPARAMERR 0x0A000006
#define SAR_READFILEERR 0x0A000007
#define SAR_WRITEFILEERR 0x0A000008
#define SAR_NAMELENERR 0x0A000009
#define SAR_MEMORYERR 0x0A00000E
#define SAR_INDATALENERR 0x0A000010
#define SAR_INDATAERR 0x0A000011
#define SAR_GENRANDERR 0x0A000012
#define SAR_KEYNOTFOUNTERR 0x0A00001B
#define SAR_CERTNOTFOUNTERR 0x0A00001C
#define SAR_BUFFER_TOO_SMALL 0x0A000020
#define SAR_DEVICE_REMOVED 0x0A000023
#define SAR_PIN_INCORRECT 0x0A000024
#define SAR_PIN_LOCKED 0x0A000025
#define SAR_PIN_INVALID 0x0A000026
#define SAR_PIN_LEN_RANGE 0x0A000027
#define SAR_USER_TYPE_INVALID 0x0A00002A
#define SAR_APPLICATION_NAME_INVALID 0x0A00002B
#define SAR_APPLICATION_EXISTS 0x0A00002C
#define SAR_USER_NOT_LOGGED_IN 0x0A00002D
#define SAR_APPLICATION_NOT_EXISTS 0x0A00002E
#define SAR_FILE_ALREADY_EXIST 0x0A00002F
#define SAR_FILE_NOT_EXIST 0x0A000031

#define ADMIN_TYPE 0
#define USER_TYPE 1
#define SGD_SM2_1 0x00020100
#define SGD_SM2_3 0x00020400
#define SGD_SM4_ECB 0x00000401
#define SGD_SM3 0x00000001

#define MIN_PIN 6
#define MAX_PIN 16
#define MAX_NAME 64
#define PATHLEN 4096

#pragma pack(push, 1)
typedef struct {
    BYTE major, minor;
} VERSION;
typedef struct {
    VERSION Version;
    char Manufacturer[64];
    char Issuer[64];
    char Label[32];
    char SerialNumber[32];
    VERSION HWVersion;
    VERSION FirmwareVersion;
    ULONG AlgSymCap, AlgAsymCap, AlgHashCap, DevAuthAlgId;
    ULONG TotalSpace, FreeSpace, MaxECCBufferSize, MaxBufferSize;
    BYTE Reserved[64];
} DEVINFO;
typedef struct {
    ULONG BitLen;
    BYTE XCoordinate[64];
    BYTE YCoordinate[64];
} ECCPUBLICKEYBLOB;
typedef struct {
    BYTE r[64];
    BYTE s[64];
} ECCSIGNATUREBLOB;
typedef struct {
    BYTE XCoordinate[64];
    BYTE YCoordinate[64];
    BYTE HASH[32];
    ULONG CipherLen;
    BYTE Cipher[1];
} ECCCIPHERBLOB;
#pragma pack(pop)

/* ------------------------------------------------------------------ handles */

#define DEV_MAGIC 0x534b4631u
#define APP_MAGIC 0x534b4632u
#define CON_MAGIC 0x534b4633u

typedef struct {
    uint32_t magic;
    char path[PATHLEN];
    BYTE challenge[8];
    int have_challenge;
    int authenticated;
} Dev;

typedef struct {
    uint32_t magic;
    Dev *dev;
    char path[PATHLEN];
    int user_in, admin_in;
} App;

typedef struct {
    uint32_t magic;
    App *app;
    char path[PATHLEN];
} Con;

/* Every handle starts with its magic: the handle of that kind, or NULL for any other pointer. */
static void *handle_of(void *h, uint32_t magic) { return h && *(uint32_t *)h == magic ? h : NULL; }
static Dev *as_dev(void *h) { return handle_of(h, DEV_MAGIC); }
static App *as_app(void *h) { return handle_of(h, APP_MAGIC); }
static Con *as_con(void *h) { return handle_of(h, CON_MAGIC); }

static void *new_handle(size_t size, uint32_t magic) {
    uint32_t *h = calloc(1, size);
    if (h) *h = magic;
    return h;
}

/* A new handle into the caller's out-parameter; SAR_MEMORYERR when there is none. */
static ULONG hand_out(void *h, void **out) {
    *out = h;
    return h ? SAR_OK : SAR_MEMORYERR;
}

/* SKF_DisConnectDev, SKF_CloseApplication, SKF_CloseContainer: the handle is forgotten. */
static ULONG close_handle(void *h, uint32_t magic) {
    uint32_t *m = handle_of(h, magic);
    if (!m) return SAR_INVALIDHANDLEERR;
    *m = 0;
    free(m);
    return SAR_OK;
}

/* ------------------------------------------------------------------ files */

static const char *store(void) { return getenv("SKF_SOFT_STORE"); }

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static int join(char *out, const char *a, const char *b) {
    return snprintf(out, PATHLEN, "%s/%s", a, b) < PATHLEN ? 0 : -1;
}

static int valid_name(const char *name) {
    size_t n;
    if (!name) return 0;
    n = strlen(name);
    if (n == 0 || n > MAX_NAME || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return 0;
    return 1;
}

static int read_all(const char *path, BYTE *buf, size_t max, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    *len = fread(buf, 1, max, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    return more ? -2 : 0;
}

static int write_all(const char *path, const void *data, size_t len) {
    char tmp[PATHLEN + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return -1;
    if (fwrite(data, 1, len, f) != len) {
        fclose(f);
        return -1;
    }
    if (fclose(f) != 0) return -1;
    return rename(tmp, path);
}

/* key=value lines; returns the value into out (empty when absent) */
static int kv_get(const char *text, const char *key, char *out, size_t outlen) {
    size_t klen = strlen(key);
    const char *p = text;
    out[0] = 0;
    while (p && *p) {
        if (!strncmp(p, key, klen) && p[klen] == '=') {
            const char *v = p + klen + 1, *e = strchr(v, '\n');
            size_t n = e ? (size_t)(e - v) : strlen(v);
            if (n >= outlen) n = outlen - 1;
            memcpy(out, v, n);
            out[n] = 0;
            return 0;
        }
        p = strchr(p, '\n');
        if (p) p++;
    }
    return -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int rm_tree(const char *path) { return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

/* out = parent/dir/name: an application in a device's "apps", a container in an application's
 * "c". */
static int child_path(const char *parent, const char *dir, const char *name, char *out) {
    char mid[PATHLEN];
    return join(mid, parent, dir) || join(out, mid, name);
}

static int dev_present(Dev *d) {
    char p[PATHLEN];
    return join(p, d->path, "device") == 0 && exists(p);
}

/* multi-string list of the sub-directories of dir (that contain `must`, when given) */
/* GM/T 0016 output buffers: no buffer asks for the size, a short one is refused with the size
   needed; otherwise the n bytes are copied. Either way *len ends as n. */
static ULONG copy_out(void *out, ULONG *len, const void *data, size_t n) {
    ULONG room = *len;
    *len = (ULONG)n;
    if (!out) return SAR_OK;
    if (room < n) return SAR_BUFFER_TOO_SMALL;
    memcpy(out, data, n);
    return SAR_OK;
}

static ULONG list_names(const char *dir, const char *must, LPSTR out, ULONG *size) {
    char names[8192];
    size_t used = 0;
    struct dirent **items = NULL;
    int n = scandir(dir, &items, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *name = items[i]->d_name;
        char p[PATHLEN], q[PATHLEN];
        if (name[0] != '.' && join(p, dir, name) == 0) {
            struct stat st;
            int ok = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
            if (ok && must) ok = join(q, p, must) == 0 && exists(q);
            if (ok && used + strlen(name) + 2 < sizeof names) {
                strcpy(names + used, name);
                used += strlen(name) + 1;
            }
        }
        free(items[i]);
    }
    free(items);
    names[used++] = 0;
    if (!size) return SAR_INVALIDPARAMERR;
    return copy_out(out, size, names, used);
}

/* The names in parent/dir (SKF_EnumApplication, SKF_EnumContainer). */
static ULONG list_children(const char *parent, const char *dir, const char *must, LPSTR out,
                           ULONG *size) {
    char p[PATHLEN];
    return join(p, parent, dir) ? SAR_FAIL : list_names(p, must, out, size);
}

static void to_hex(const BYTE *in, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", in[i]);
    out[2 * n] = 0;
}

static int from_hex(const char *in, BYTE *out, size_t n) {
    if (strlen(in) != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(in + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (BYTE)v;
    }
    return 0;
}

/* ------------------------------------------------------------------ crypto */

static void sm3_hex(const char *pin, char out[65]) {
    BYTE md[32];
    unsigned int n = 32;
    EVP_Digest(pin, strlen(pin), md, &n, EVP_sm3(), NULL);
    to_hex(md, 32, out);
}

static int sm4_ecb(const BYTE key[16], const BYTE *in, int len, BYTE *out, int encrypt) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, m = 0, ok = c && EVP_CipherInit_ex(c, EVP_sm4_ecb(), NULL, key, NULL, encrypt) &&
                           EVP_CIPHER_CTX_set_padding(c, 0) &&
                           EVP_CipherUpdate(c, out, &n, in, len) &&
                           EVP_CipherFinal_ex(c, out + n, &m);
    EVP_CIPHER_CTX_free(c);
    return ok && n + m == len ? 0 : -1;
}

/* An SM2 key from its private scalar; pub gets the uncompressed point 04|X|Y. */
static EVP_PKEY *key_from_scalar(const BYTE d[32], BYTE pub[65]) {
    EVP_PKEY *pkey = NULL;
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_sm2);
    BIGNUM *bn = BN_bin2bn(d, 32, NULL);
    EC_POINT *P = g ? EC_POINT_new(g) : NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    if (!g || !bn || !P || !bld || BN_is_zero(bn) ||
        BN_cmp(bn, EC_GROUP_get0_order(g)) >= 0)
        goto end;
    if (!EC_POINT_mul(g, P, bn, NULL, NULL, NULL) ||
        EC_POINT_point2oct(g, P, POINT_CONVERSION_UNCOMPRESSED, pub, 65, NULL) != 65)
        goto end;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65))
        goto end;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
        pkey = NULL;
end:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EC_POINT_free(P);
    BN_clear_free(bn);
    EC_GROUP_free(g);
    return pkey;
}

static int new_scalar(BYTE d[32]) {
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    BIGNUM *bn = NULL;
    int ok = k && EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &bn) &&
             BN_bn2binpad(bn, d, 32) == 32;
    BN_clear_free(bn);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

static void pub_blob(const BYTE pub[65], ECCPUBLICKEYBLOB *blob) {
    memset(blob, 0, sizeof *blob);
    blob->BitLen = 256;
    memcpy(blob->XCoordinate + 32, pub + 1, 32);
    memcpy(blob->YCoordinate + 32, pub + 33, 32);
}

/* which: "sign" or "enc"; returns 0 and the scalar, or -1 when the container has no such key */
static int load_scalar(Con *c, const char *which, BYTE d[32]) {
    char p[PATHLEN], name[16], text[80];
    size_t n = 0;
    snprintf(name, sizeof name, "%s.key", which);
    if (join(p, c->path, name) || read_all(p, (BYTE *)text, sizeof text - 1, &n)) return -1;
    text[n] = 0;
    if (n && text[n - 1] == '\n') text[n - 1] = 0;
    return from_hex(text, d, 32);
}

static int save_scalar(Con *c, const char *which, const BYTE d[32]) {
    char p[PATHLEN], name[16], text[70];
    snprintf(name, sizeof name, "%s.key", which);
    to_hex(d, 32, text);
    strcat(text, "\n");
    return join(p, c->path, name) ? -1 : write_all(p, text, strlen(text));
}

static size_t der_len(BYTE *out, size_t n) {
    if (n < 0x80) {
        out[0] = (BYTE)n;
        return 1;
    }
    if (n < 0x100) {
        out[0] = 0x81, out[1] = (BYTE)n;
        return 2;
    }
    out[0] = 0x82, out[1] = (BYTE)(n >> 8), out[2] = (BYTE)n;
    return 3;
}

static size_t der_uint(BYTE *out, const BYTE *v, size_t n) {
    size_t i = 0, k = 0;
    while (i < n - 1 && v[i] == 0) i++;
    out[k++] = 0x02;
    int pad = v[i] & 0x80;
    k += der_len(out + k, n - i + (pad ? 1 : 0));
    if (pad) out[k++] = 0;
    memcpy(out + k, v + i, n - i);
    return k + n - i;
}

static size_t der_octets(BYTE *out, const BYTE *v, size_t n) {
    size_t k = 0;
    out[k++] = 0x04;
    k += der_len(out + k, n);
    memcpy(out + k, v, n);
    return k + n;
}

/* SM2 decryption of a GM/T 0016 ECCCIPHERBLOB (C1 | C3 | C2) with the scalar d. OpenSSL takes
 * the GM/T 0009 DER form, SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, c2 OCTET STRING }. */
static int sm2_decrypt(const BYTE d[32], const BYTE *x64, const BYTE *y64, const BYTE *hash,
                       const BYTE *c2, size_t c2len, BYTE *out, size_t *outlen) {
    BYTE pub[65], body[64 + 64 + 40 + 8], *der;
    size_t k = 0, total;
    int ok = 0;
    EVP_PKEY *key = key_from_scalar(d, pub);
    EVP_PKEY_CTX *ctx = NULL;
    if (!key || c2len > 0xff00) goto end;
    der = malloc(c2len + sizeof body + 8);
    if (!der) goto end;
    k += der_uint(body + k, x64 + 32, 32);
    k += der_uint(body + k, y64 + 32, 32);
    k += der_octets(body + k, hash, 32);
    {
        BYTE hdr[4];
        size_t h = der_len(hdr, c2len), inner = k + 1 + h + c2len, pos = 0;
        der[pos++] = 0x30;
        pos += der_len(der + pos, inner);
        memcpy(der + pos, body, k);
        pos += k;
        pos += der_octets(der + pos, c2, c2len);
        total = pos;
    }
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    size_t n = *outlen;
    ok = ctx && EVP_PKEY_decrypt_init(ctx) > 0 && EVP_PKEY_decrypt(ctx, out, &n, der, total) > 0;
    if (ok) *outlen = n;
    free(der);
end:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok ? 0 : -1;
}

/* ------------------------------------------------------------------ PIN state */

typedef struct {
    char hash[2][65];
    ULONG max[2], remain[2];
    BOOL is_default[2];
} Pins;

static const char *pin_key[2] = {"admin", "user"};

static int pins_load(App *a, Pins *p) {
    char path[PATHLEN], text[1024], v[80], k[32];
    size_t n = 0;
    if (join(path, a->path, "pins") || read_all(path, (BYTE *)text, sizeof text - 1, &n)) return -1;
    text[n] = 0;
    for (int t = 0; t < 2; t++) {
        snprintf(k, sizeof k, "%s_hash", pin_key[t]);
        kv_get(text, k, p->hash[t], sizeof p->hash[t]);
        snprintf(k, sizeof k, "%s_max", pin_key[t]);
        kv_get(text, k, v, sizeof v), p->max[t] = (ULONG)strtoul(v, NULL, 10);
        snprintf(k, sizeof k, "%s_remain", pin_key[t]);
        kv_get(text, k, v, sizeof v), p->remain[t] = (ULONG)strtoul(v, NULL, 10);
        snprintf(k, sizeof k, "%s_default", pin_key[t]);
        kv_get(text, k, v, sizeof v), p->is_default[t] = atoi(v);
    }
    return 0;
}

static int pins_save(const char *app_path, const Pins *p) {
    char path[PATHLEN], text[1024];
    size_t used = 0;
    for (int t = 0; t < 2; t++)
        used += snprintf(text + used, sizeof text - used,
                         "%s_hash=%s\n%s_max=%u\n%s_remain=%u\n%s_default=%d\n", pin_key[t],
                         p->hash[t], pin_key[t], p->max[t], pin_key[t], p->remain[t], pin_key[t],
                         p->is_default[t]);
    return join(path, app_path, "pins") ? -1 : write_all(path, text, used);
}

static int pin_len_ok(const char *pin) {
    size_t n = pin ? strlen(pin) : 0;
    return n >= MIN_PIN && n <= MAX_PIN;
}

/* Checks one PIN against the stored hash, counting the failure or restoring the counter. */
static ULONG check_pin(App *a, Pins *p, ULONG type, const char *pin, ULONG *retry) {
    char h[65];
    if (type > USER_TYPE) return SAR_USER_TYPE_INVALID;
    if (!pin) return SAR_INVALIDPARAMERR;
    if (p->remain[type] == 0) {
        if (retry) *retry = 0;
        return SAR_PIN_LOCKED;
    }
    sm3_hex(pin, h);
    if (strcmp(h, p->hash[type]) != 0) {
        p->remain[type]--;
        if (pins_save(a->path, p)) return SAR_WRITEFILEERR;
#ifndef QUIRK_NO_RETRY_OUT
        if (retry) *retry = p->remain[type];
#endif
        if (type == USER_TYPE) a->user_in = 0;
        else a->admin_in = 0;
#ifdef QUIRK_INCORRECT_AT_ZERO
        return SAR_PIN_INCORRECT;
#else
        return p->remain[type] == 0 ? SAR_PIN_LOCKED : SAR_PIN_INCORRECT;
#endif
    }
    if (p->remain[type] != p->max[type]) {
        p->remain[type] = p->max[type];
        if (pins_save(a->path, p)) return SAR_WRITEFILEERR;
    }
    if (retry) *retry = p->remain[type];
    return SAR_OK;
}

/* ------------------------------------------------------------------ guards */

static ULONG dev_ok(Dev *d) {
    if (!d) return SAR_INVALIDHANDLEERR;
    return dev_present(d) ? SAR_OK : SAR_DEVICE_REMOVED;
}

static ULONG app_ok(App *a) {
    if (!a) return SAR_INVALIDHANDLEERR;
    ULONG rv = dev_ok(a->dev);
    if (rv) return rv;
    return exists(a->path) ? SAR_OK : SAR_APPLICATION_NOT_EXISTS;
}

static ULONG con_ok(Con *c, int need_user) {
    if (!c) return SAR_INVALIDHANDLEERR;
    ULONG rv = app_ok(c->app);
    if (rv) return rv;
    if (!exists(c->path)) return SAR_FILE_NOT_EXIST;
    if (need_user && !c->app->user_in) return SAR_USER_NOT_LOGGED_IN;
    return SAR_OK;
}

/* ================================================================== device */

EXPORT ULONG SKF_EnumDev(BOOL bPresent, LPSTR szNameList, ULONG *pulSize) {
    (void)bPresent;
    if (!store()) return SAR_FAIL;
    return list_names(store(), "device", szNameList, pulSize);
}

EXPORT ULONG SKF_ConnectDev(LPSTR szName, DEVHANDLE *phDev) {
    if (!store() || !phDev || !valid_name(szName)) return SAR_INVALIDPARAMERR;
    Dev *d = new_handle(sizeof *d, DEV_MAGIC);
    if (!d) return SAR_MEMORYERR;
    if (join(d->path, store(), szName) || !dev_present(d)) {
        free(d);
        return SAR_DEVICE_REMOVED;
    }
    *phDev = d;
    return SAR_OK;
}

EXPORT ULONG SKF_DisConnectDev(DEVHANDLE hDev) { return close_handle(hDev, DEV_MAGIC); }

static ULONG device_text(Dev *d, char *text, size_t max) {
    char p[PATHLEN];
    size_t n = 0;
    if (join(p, d->path, "device") || read_all(p, (BYTE *)text, max - 1, &n)) return SAR_READFILEERR;
    text[n] = 0;
    return SAR_OK;
}

EXPORT ULONG SKF_GetDevInfo(DEVHANDLE hDev, DEVINFO *pDevInfo) {
    Dev *d = as_dev(hDev);
    char text[1024], v[80];
    ULONG rv = dev_ok(d);
    if (rv) return rv;
    if (!pDevInfo) return SAR_INVALIDPARAMERR;
    if ((rv = device_text(d, text, sizeof text))) return rv;
    memset(pDevInfo, 0, sizeof *pDevInfo);
    pDevInfo->Version.major = 1;
    strcpy(pDevInfo->Manufacturer, "counter-app tests");
    strcpy(pDevInfo->Issuer, "skf_soft (test only)");
    kv_get(text, "label", v, sizeof v);
    strncpy(pDevInfo->Label, v, sizeof pDevInfo->Label - 1);
    kv_get(text, "serial", v, sizeof v);
    strncpy(pDevInfo->SerialNumber, v, sizeof pDevInfo->SerialNumber - 1);
    pDevInfo->HWVersion.major = pDevInfo->FirmwareVersion.major = 1;
    pDevInfo->AlgSymCap = SGD_SM4_ECB;
    pDevInfo->AlgAsymCap = SGD_SM2_1 | SGD_SM2_3;
    pDevInfo->AlgHashCap = SGD_SM3;
    pDevInfo->DevAuthAlgId = SGD_SM4_ECB;
    pDevInfo->TotalSpace = pDevInfo->FreeSpace = 64 * 1024;
    pDevInfo->MaxECCBufferSize = pDevInfo->MaxBufferSize = 2048;
    return SAR_OK;
}

EXPORT ULONG SKF_SetLabel(DEVHANDLE hDev, LPSTR szLabel) {
    Dev *d = as_dev(hDev);
    char text[1024], serial[80], key[80], out[1024], p[PATHLEN];
    ULONG rv = dev_ok(d);
    if (rv) return rv;
    if (!szLabel || strlen(szLabel) > 31 || strchr(szLabel, '\n')) return SAR_INVALIDPARAMERR;
    if ((rv = device_text(d, text, sizeof text))) return rv;
    kv_get(text, "serial", serial, sizeof serial);
    kv_get(text, "authkey", key, sizeof key);
    snprintf(out, sizeof out, "label=%s\nserial=%s\nauthkey=%s\n", szLabel, serial, key);
    return join(p, d->path, "device") || write_all(p, out, strlen(out)) ? SAR_WRITEFILEERR : SAR_OK;
}

EXPORT ULONG SKF_GenRandom(DEVHANDLE hDev, BYTE *pbRandom, ULONG ulRandomLen) {
    Dev *d = as_dev(hDev);
    ULONG rv = dev_ok(d);
    if (rv) return rv;
    if (!pbRandom || ulRandomLen == 0) return SAR_INVALIDPARAMERR;
    if (RAND_bytes(pbRandom, (int)ulRandomLen) != 1) return SAR_GENRANDERR;
    if (ulRandomLen >= 8) {
        memcpy(d->challenge, pbRandom, 8);
        d->have_challenge = 1;
    }
    return SAR_OK;
}

/* The host proves it knows the device authentication key: it encrypts the last 8 random bytes
 * the device gave (SKF_GenRandom), zero-padded to 16, with SM4-ECB under that key. */
EXPORT ULONG SKF_DevAuth(DEVHANDLE hDev, BYTE *pbAuthData, ULONG ulLen) {
    Dev *d = as_dev(hDev);
    char text[1024], v[80];
    BYTE key[16], block[16] = {0}, expect[16];
    ULONG rv = dev_ok(d);
    if (rv) return rv;
    if (!pbAuthData || ulLen != 16 || !d->have_challenge) return SAR_INVALIDPARAMERR;
    if ((rv = device_text(d, text, sizeof text))) return rv;
    kv_get(text, "authkey", v, sizeof v);
    if (from_hex(v, key, 16)) return SAR_FAIL;
    memcpy(block, d->challenge, 8);
    d->have_challenge = 0;
    if (sm4_ecb(key, block, 16, expect, 1)) return SAR_FAIL;
    d->authenticated = CRYPTO_memcmp(expect, pbAuthData, 16) == 0;
    return d->authenticated ? SAR_OK : SAR_FAIL;
}

/* ================================================================== applications */

static int app_path(Dev *d, const char *name, char *out) {
    return child_path(d->path, "apps", name, out);
}

EXPORT ULONG SKF_EnumApplication(DEVHANDLE hDev, LPSTR szAppName, ULONG *pulSize) {
    Dev *d = as_dev(hDev);
    ULONG rv = dev_ok(d);
    return rv ? rv : list_children(d->path, "apps", "pins", szAppName, pulSize);
}

static App *new_app(Dev *d, const char *path) {
    App *a = new_handle(sizeof *a, APP_MAGIC);
    if (a) a->dev = d, strncpy(a->path, path, PATHLEN - 1);
    return a;
}

EXPORT ULONG SKF_CreateApplication(DEVHANDLE hDev, LPSTR szAppName, LPSTR szAdminPin,
                                   ULONG dwAdminPinRetryCount, LPSTR szUserPin,
                                   ULONG dwUserPinRetryCount, ULONG dwCreateFileRights,
                                   HAPPLICATION *phApplication) {
    Dev *d = as_dev(hDev);
    char path[PATHLEN], apps[PATHLEN], c[PATHLEN];
    Pins p;
    ULONG rv = dev_ok(d);
    (void)dwCreateFileRights;
    if (rv) return rv;
    if (!valid_name(szAppName) || strlen(szAppName) > 32) return SAR_APPLICATION_NAME_INVALID;
    if (!phApplication || dwAdminPinRetryCount == 0 || dwAdminPinRetryCount > 15 ||
        dwUserPinRetryCount == 0 || dwUserPinRetryCount > 15)
        return SAR_INVALIDPARAMERR;
    if (!pin_len_ok(szAdminPin) || !pin_len_ok(szUserPin)) return SAR_PIN_LEN_RANGE;
    if (!d->authenticated) return SAR_USER_NOT_LOGGED_IN;
    if (app_path(d, szAppName, path) || join(apps, d->path, "apps") || join(c, path, "c"))
        return SAR_NAMELENERR;
    if (exists(path)) return SAR_APPLICATION_EXISTS;
    mkdir(apps, 0700);
    if (mkdir(path, 0700) || mkdir(c, 0700)) return SAR_FILEERR;
    memset(&p, 0, sizeof p);
    sm3_hex(szAdminPin, p.hash[ADMIN_TYPE]);
    sm3_hex(szUserPin, p.hash[USER_TYPE]);
    p.max[ADMIN_TYPE] = p.remain[ADMIN_TYPE] = dwAdminPinRetryCount;
    p.max[USER_TYPE] = p.remain[USER_TYPE] = dwUserPinRetryCount;
    if (pins_save(path, &p)) return SAR_WRITEFILEERR;
    return hand_out(new_app(d, path), phApplication);
}

EXPORT ULONG SKF_DeleteApplication(DEVHANDLE hDev, LPSTR szAppName) {
    Dev *d = as_dev(hDev);
    char path[PATHLEN];
    ULONG rv = dev_ok(d);
    if (rv) return rv;
    if (!valid_name(szAppName) || app_path(d, szAppName, path)) return SAR_APPLICATION_NAME_INVALID;
    if (!exists(path)) return SAR_APPLICATION_NOT_EXISTS;
    if (!d->authenticated) return SAR_USER_NOT_LOGGED_IN;
    return rm_tree(path) ? SAR_FILEERR : SAR_OK;
}

EXPORT ULONG SKF_OpenApplication(DEVHANDLE hDev, LPSTR szAppName, HAPPLICATION *phApplication) {
    Dev *d = as_dev(hDev);
    char path[PATHLEN], pins[PATHLEN];
    ULONG rv = dev_ok(d);
    if (rv) return rv;
    if (!phApplication) return SAR_INVALIDPARAMERR;
    if (!valid_name(szAppName) || app_path(d, szAppName, path)) return SAR_APPLICATION_NAME_INVALID;
    if (join(pins, path, "pins") || !exists(pins)) return SAR_APPLICATION_NOT_EXISTS;
    return hand_out(new_app(d, path), phApplication);
}

EXPORT ULONG SKF_CloseApplication(HAPPLICATION hApplication) {
    return close_handle(hApplication, APP_MAGIC);
}

EXPORT ULONG SKF_VerifyPIN(HAPPLICATION hApplication, ULONG ulPINType, LPSTR szPIN,
                           ULONG *pulRetryCount) {
    App *a = as_app(hApplication);
    Pins p;
    ULONG rv = app_ok(a);
    if (rv) return rv;
    if (pins_load(a, &p)) return SAR_READFILEERR;
    rv = check_pin(a, &p, ulPINType, szPIN, pulRetryCount);
    if (rv == SAR_OK) {
        if (ulPINType == USER_TYPE) a->user_in = 1;
        else a->admin_in = 1;
    }
    return rv;
}

/* SKF_ChangePIN and SKF_UnblockPIN: the PIN `proof` of type `type` lets `new_pin` become the PIN
 * of type `target`. A PIN its holder changes is no longer the default one; a PIN the admin PIN
 * unblocks gets its retries back. */
static ULONG set_pin(HAPPLICATION hApplication, ULONG type, LPSTR proof, ULONG target,
                     LPSTR new_pin, ULONG *pulRetryCount) {
    App *a = as_app(hApplication);
    Pins p;
    ULONG rv = app_ok(a);
    if (rv) return rv;
    if (type > USER_TYPE) return SAR_USER_TYPE_INVALID;
    if (!pin_len_ok(new_pin)) return SAR_PIN_LEN_RANGE;
    if (pins_load(a, &p)) return SAR_READFILEERR;
    if ((rv = check_pin(a, &p, type, proof, pulRetryCount))) return rv;
    sm3_hex(new_pin, p.hash[target]);
    if (target == type) p.is_default[target] = 0;
    else p.remain[target] = p.max[target];
    return pins_save(a->path, &p) ? SAR_WRITEFILEERR : SAR_OK;
}

EXPORT ULONG SKF_ChangePIN(HAPPLICATION hApplication, ULONG ulPINType, LPSTR szOldPin,
                           LPSTR szNewPin, ULONG *pulRetryCount) {
    return set_pin(hApplication, ulPINType, szOldPin, ulPINType, szNewPin, pulRetryCount);
}

EXPORT ULONG SKF_UnblockPIN(HAPPLICATION hApplication, LPSTR szAdminPIN, LPSTR szNewUserPIN,
                            ULONG *pulRetryCount) {
    return set_pin(hApplication, ADMIN_TYPE, szAdminPIN, USER_TYPE, szNewUserPIN, pulRetryCount);
}

EXPORT ULONG SKF_GetPINInfo(HAPPLICATION hApplication, ULONG ulPINType, ULONG *pulMaxRetryCount,
                            ULONG *pulRemainRetryCount, BOOL *pbDefaultPin) {
    App *a = as_app(hApplication);
    Pins p;
    ULONG rv = app_ok(a);
    if (rv) return rv;
    if (ulPINType > USER_TYPE) return SAR_USER_TYPE_INVALID;
    if (!pulMaxRetryCount || !pulRemainRetryCount || !pbDefaultPin) return SAR_INVALIDPARAMERR;
    if (pins_load(a, &p)) return SAR_READFILEERR;
    *pulMaxRetryCount = p.max[ulPINType];
    *pulRemainRetryCount = p.remain[ulPINType];
    *pbDefaultPin = p.is_default[ulPINType];
    return SAR_OK;
}

EXPORT ULONG SKF_ClearSecureState(HAPPLICATION hApplication) {
    App *a = as_app(hApplication);
    if (!a) return SAR_INVALIDHANDLEERR;
    a->user_in = a->admin_in = 0;
    return SAR_OK;
}

/* ================================================================== containers */

static int con_path(App *a, const char *name, char *out) {
    return child_path(a->path, "c", name, out);
}

EXPORT ULONG SKF_EnumContainer(HAPPLICATION hApplication, LPSTR szContainerName, ULONG *pulSize) {
    App *a = as_app(hApplication);
    ULONG rv = app_ok(a);
    return rv ? rv : list_children(a->path, "c", NULL, szContainerName, pulSize);
}

static Con *new_con(App *a, const char *path) {
    Con *c = new_handle(sizeof *c, CON_MAGIC);
    if (c) c->app = a, strncpy(c->path, path, PATHLEN - 1);
    return c;
}

EXPORT ULONG SKF_CreateContainer(HAPPLICATION hApplication, LPSTR szContainerName,
                                 HCONTAINER *phContainer) {
    App *a = as_app(hApplication);
    char path[PATHLEN];
    ULONG rv = app_ok(a);
    if (rv) return rv;
    if (!phContainer || !valid_name(szContainerName)) return SAR_INVALIDPARAMERR;
    if (!a->user_in) return SAR_USER_NOT_LOGGED_IN;
    if (con_path(a, szContainerName, path)) return SAR_NAMELENERR;
    if (exists(path)) return SAR_FILE_ALREADY_EXIST;
    if (mkdir(path, 0700)) return SAR_FILEERR;
    return hand_out(new_con(a, path), phContainer);
}

EXPORT ULONG SKF_DeleteContainer(HAPPLICATION hApplication, LPSTR szContainerName) {
    App *a = as_app(hApplication);
    char path[PATHLEN];
    ULONG rv = app_ok(a);
    if (rv) return rv;
    if (!valid_name(szContainerName)) return SAR_INVALIDPARAMERR;
    if (!a->user_in) return SAR_USER_NOT_LOGGED_IN;
    if (con_path(a, szContainerName, path) || !exists(path)) return SAR_FILE_NOT_EXIST;
    return rm_tree(path) ? SAR_FILEERR : SAR_OK;
}

EXPORT ULONG SKF_OpenContainer(HAPPLICATION hApplication, LPSTR szContainerName,
                               HCONTAINER *phContainer) {
    App *a = as_app(hApplication);
    char path[PATHLEN];
    ULONG rv = app_ok(a);
    if (rv) return rv;
    if (!phContainer || !valid_name(szContainerName)) return SAR_INVALIDPARAMERR;
    if (con_path(a, szContainerName, path) || !exists(path)) return SAR_FILE_NOT_EXIST;
    return hand_out(new_con(a, path), phContainer);
}

EXPORT ULONG SKF_CloseContainer(HCONTAINER hContainer) {
    return close_handle(hContainer, CON_MAGIC);
}

/* 0 empty, 1 RSA, 2 ECC (GM/T 0016 7.5.7) */
EXPORT ULONG SKF_GetContainerType(HCONTAINER hContainer, ULONG *pulContainerType) {
    Con *c = as_con(hContainer);
    BYTE d[32];
    ULONG rv = con_ok(c, 0);
    if (rv) return rv;
    if (!pulContainerType) return SAR_INVALIDPARAMERR;
    *pulContainerType = load_scalar(c, "sign", d) == 0 ? 2 : 0;
    OPENSSL_cleanse(d, sizeof d);
    return SAR_OK;
}

/* ================================================================== keys */

static void remove_file(Con *c, const char *name) {
    char p[PATHLEN];
    if (!join(p, c->path, name)) unlink(p);
}

EXPORT ULONG SKF_GenECCKeyPair(HCONTAINER hContainer, ULONG ulAlgId, ECCPUBLICKEYBLOB *pBlob) {
    Con *c = as_con(hContainer);
    BYTE d[32], pub[65];
    ULONG rv = con_ok(c, 1);
    if (rv) return rv;
    if (ulAlgId != SGD_SM2_1) return SAR_NOTSUPPORTYETERR;
    if (!pBlob) return SAR_INVALIDPARAMERR;
    EVP_PKEY *k = NULL;
    if (new_scalar(d) || !(k = key_from_scalar(d, pub))) {
        OPENSSL_cleanse(d, sizeof d);
        return SAR_FAIL;
    }
    EVP_PKEY_free(k);
    rv = save_scalar(c, "sign", d) ? SAR_WRITEFILEERR : SAR_OK;
    OPENSSL_cleanse(d, sizeof d);
    if (rv) return rv;
    remove_file(c, "sign.cer"); /* the old certificate no longer matches */
    pub_blob(pub, pBlob);
    return SAR_OK;
}

static uint32_t le32(const BYTE *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ENVELOPEDKEYBLOB, parsed from its bytes (ULONGs little-endian, no padding):
 *   0 Version | 4 ulSymmAlgID | 8 ulBits | 12 cbEncryptedPriKey[64]
 *   76 PubKey = BitLen | X[64] | Y[64]
 *   208 ECCCipherBlob = X[64] | Y[64] | HASH[32] | 368 CipherLen | 372 Cipher[CipherLen]
 * The SM4 key is SM2-encrypted to the container's signing key; the private scalar, left-padded
 * to 64 bytes, is SM4-ECB encrypted under it. */
EXPORT ULONG SKF_ImportECCKeyPair(HCONTAINER hContainer, const BYTE *pEnvelopedKeyBlob) {
    Con *c = as_con(hContainer);
    const BYTE *b = pEnvelopedKeyBlob;
    BYTE sign_d[32], sm4key[32], plain[64], pub[65];
    size_t keylen = sizeof sm4key;
    ULONG rv = con_ok(c, 1);
    if (rv) return rv;
    if (!b) return SAR_INVALIDPARAMERR;
    if (le32(b) != 1 || le32(b + 8) != 256 || le32(b + 76) != 256 || le32(b + 368) != 16)
        return SAR_INDATAERR;
    if (le32(b + 4) != SGD_SM4_ECB) return SAR_NOTSUPPORTYETERR;
    if (load_scalar(c, "sign", sign_d)) return SAR_KEYNOTFOUNTERR;
    rv = sm2_decrypt(sign_d, b + 208, b + 272, b + 336, b + 372, 16, sm4key, &keylen);
    OPENSSL_cleanse(sign_d, sizeof sign_d);
    if (rv || keylen != 16) return SAR_INDATAERR;
    rv = sm4_ecb(sm4key, b + 12, 64, plain, 0);
    OPENSSL_cleanse(sm4key, sizeof sm4key);
    if (rv) return SAR_INDATAERR;
    for (int i = 0; i < 32; i++)
        if (plain[i]) {
            OPENSSL_cleanse(plain, sizeof plain);
            return SAR_INDATAERR;
        }
    EVP_PKEY *k = key_from_scalar(plain + 32, pub);
    EVP_PKEY_free(k);
    if (!k || memcmp(pub + 1, b + 80 + 32, 32) || memcmp(pub + 33, b + 144 + 32, 32)) {
        OPENSSL_cleanse(plain, sizeof plain);
        return SAR_INDATAERR; /* the private key does not belong to the public key given */
    }
    rv = save_scalar(c, "enc", plain + 32) ? SAR_WRITEFILEERR : SAR_OK;
    OPENSSL_cleanse(plain, sizeof plain);
    if (!rv) remove_file(c, "enc.cer");
    return rv;
}

EXPORT ULONG SKF_ExportPublicKey(HCONTAINER hContainer, BOOL bSignFlag, BYTE *pbBlob,
                                 ULONG *pulBlobLen) {
    Con *c = as_con(hContainer);
    BYTE d[32], pub[65];
    ULONG rv = con_ok(c, 0);
    if (rv) return rv;
    if (!pulBlobLen) return SAR_INVALIDPARAMERR;
    if (load_scalar(c, bSignFlag ? "sign" : "enc", d)) return SAR_KEYNOTFOUNTERR;
    EVP_PKEY *k = key_from_scalar(d, pub);
    OPENSSL_cleanse(d, sizeof d);
    EVP_PKEY_free(k);
    if (!k) return SAR_FAIL;
    ECCPUBLICKEYBLOB blob;
    pub_blob(pub, &blob);
    return copy_out(pbBlob, pulBlobLen, &blob, sizeof blob);
}

/* Signs the 32-byte digest as given: for SM2 the caller passes e = SM3(Z || M), Z made with the
 * signer's public key and distinguishing ID (GM/T 0009), as GM/T 0016 specifies. */
EXPORT ULONG SKF_ECCSignData(HCONTAINER hContainer, BYTE *pbDigest, ULONG ulDigestLen,
                             ECCSIGNATUREBLOB *pSignature) {
    Con *c = as_con(hContainer);
    BYTE d[32], pub[65], der[80];
    size_t derlen = sizeof der;
    ULONG rv = con_ok(c, 1);
    if (rv) return rv;
    if (!pbDigest || !pSignature) return SAR_INVALIDPARAMERR;
    if (ulDigestLen != 32) return SAR_INDATALENERR;
    if (load_scalar(c, "sign", d)) return SAR_KEYNOTFOUNTERR;
    EVP_PKEY *k = key_from_scalar(d, pub);
    OPENSSL_cleanse(d, sizeof d);
    EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL) : NULL;
    int ok = ctx && EVP_PKEY_sign_init(ctx) > 0 &&
             EVP_PKEY_sign(ctx, der, &derlen, pbDigest, 32) > 0;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(k);
    if (!ok) return SAR_FAIL;
    const BYTE *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    if (!sig) return SAR_FAIL;
    memset(pSignature, 0, sizeof *pSignature);
    ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), pSignature->r + 32, 32) == 32 &&
         BN_bn2binpad(ECDSA_SIG_get0_s(sig), pSignature->s + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok ? SAR_OK : SAR_FAIL;
}

static ULONG decrypt_with_enc_key(HCONTAINER hContainer, const BYTE *blob, BYTE *pbPlainText,
                                  ULONG *pulPlainTextLen) {
    Con *c = as_con(hContainer);
    BYTE d[32];
    ULONG rv = con_ok(c, 1);
    if (rv) return rv;
    if (!blob || !pulPlainTextLen) return SAR_INVALIDPARAMERR;
    ULONG len = le32(blob + 160);
    if (len == 0 || len > 0xff00) return SAR_INDATALENERR;
    if (!pbPlainText) {
        *pulPlainTextLen = len;
        return SAR_OK;
    }
    if (*pulPlainTextLen < len) {
        *pulPlainTextLen = len;
        return SAR_BUFFER_TOO_SMALL;
    }
    if (load_scalar(c, "enc", d)) return SAR_KEYNOTFOUNTERR;
    size_t n = *pulPlainTextLen;
    rv = sm2_decrypt(d, blob, blob + 64, blob + 128, blob + 164, len, pbPlainText, &n)
             ? SAR_INDATAERR
             : SAR_OK;
    OPENSSL_cleanse(d, sizeof d);
    if (!rv) *pulPlainTextLen = (ULONG)n;
    return rv;
}

#ifndef QUIRK_PRVKEYDECRYPT_ONLY
EXPORT ULONG SKF_ECCDecrypt(HCONTAINER hContainer, ECCCIPHERBLOB *pCipherText, BYTE *pbPlainText,
                            ULONG *pulPlainTextLen) {
    return decrypt_with_enc_key(hContainer, (const BYTE *)pCipherText, pbPlainText,
                                pulPlainTextLen);
}

#endif

EXPORT ULONG SKF_ECCPrvKeyDecrypt(HCONTAINER hContainer, ECCCIPHERBLOB *pCipherText,
                                  BYTE *pbPlainText, ULONG *pulPlainTextLen) {
    return decrypt_with_enc_key(hContainer, (const BYTE *)pCipherText, pbPlainText,
                                pulPlainTextLen);
}

/* ================================================================== certificates */

EXPORT ULONG SKF_ImportCertificate(HCONTAINER hContainer, BOOL bSignFlag, BYTE *pbCert,
                                   ULONG ulCertLen) {
    Con *c = as_con(hContainer);
    char p[PATHLEN];
    ULONG rv = con_ok(c, 1);
    if (rv) return rv;
    if (!pbCert || ulCertLen == 0 || ulCertLen > 16384) return SAR_INVALIDPARAMERR;
    if (join(p, c->path, bSignFlag ? "sign.cer" : "enc.cer")) return SAR_FAIL;
    return write_all(p, pbCert, ulCertLen) ? SAR_WRITEFILEERR : SAR_OK;
}

EXPORT ULONG SKF_ExportCertificate(HCONTAINER hContainer, BOOL bSignFlag, BYTE *pbCert,
                                   ULONG *pulCertLen) {
    Con *c = as_con(hContainer);
    char p[PATHLEN];
    BYTE buf[16385];
    size_t n = 0;
    ULONG rv = con_ok(c, 0);
    if (rv) return rv;
    if (!pulCertLen) return SAR_INVALIDPARAMERR;
    if (join(p, c->path, bSignFlag ? "sign.cer" : "enc.cer") || !exists(p))
        return SAR_CERTNOTFOUNTERR;
    if (read_all(p, buf, sizeof buf, &n)) return SAR_READFILEERR;
    return copy_out(pbCert, pulCertLen, buf, n);
}
