/* tokenize.c - the one tokenizer for documents and queries (see tokenize.h).
 *
 * One pass over the bytes, no allocation. Between words a small "gap" state
 * machine notices sentence boundaries; inside a word the scanner folds each
 * character into a stack buffer and decides at every apostrophe, hyphen and
 * number separator whether the word goes on, splits, or ends. ASCII is
 * classified and folded by table without decoding, because English news text
 * is almost all ASCII and this loop is the indexer's hot path.
 *
 * Rules beyond the header, decided here:
 *  - Sentence starts (TOK_SENTENCE) go to the first token emitted: at the
 *    start of the input; after '.', '!' or '?' followed by white space, with
 *    only closing quotes or brackets in between ("no.) Then"); after a blank
 *    line (two newlines with only white space between, or U+2029); right after
 *    an ideographic full stop or a full-width '!'/'?' (CJK puts no space
 *    there). Abbreviations are not recognised: "Mr. Kim" starts a sentence at
 *    "kim". A skipped over-long word passes the flag on to the next token.
 *  - A comma between digits is a grouping comma only when exactly three
 *    digits follow ("1,000" -> "1000"); otherwise it separates ("1,2" -> "1",
 *    "2"), so lists of numbers are not glued together.
 *  - An apostrophe stays only with letters on both sides: "rock 'n' roll" ->
 *    "rock", "n", "roll"; "1990's" -> "1990", "s". U+02BC (modifier letter
 *    apostrophe) counts as an apostrophe too.
 *  - URLs and e-mail addresses are not special: "www.kbs.co.kr" gives "www",
 *    "kbs", "co", "kr" and "kim@example.com" gives "kim", "example", "com",
 *    which a phrase query written the same way still matches.
 *  - Soft hyphens, combining diacritics, ZWJ/ZWNJ, word joiners and
 *    variation selectors continue a word and fold to nothing, so "e" + U+0301
 *    matches "é"; they never start a word.
 *  - Cyrillic ё/ѐ fold to е and ѝ to и (stress marks Russian text often
 *    omits); Greek loses tonos and dialytika, final sigma becomes σ.
 *  - Scripts written without spaces (Thai, Lao, Khmer...) come out as one long
 *    word per run, usually over the cap and so skipped; proper segmentation
 *    for them is future work, like CJK.
 */
#include "tokenize.h"

#include <string.h>

#include "utf8.h"

/* Character classes. KTERM needs white space after it to end a sentence;
 * KTCJK ends one by itself. KCLOSE may sit between a terminator and the
 * space. KMARK continues a word but is folded away. */
enum {
    KSEP,
    KSPC,
    KNL,
    KPARA,
    KTERM,
    KTCJK,
    KCLOSE,
    KLET,
    KDIG,
    KMARK,
    KCJK,
    KAPOS,
    KHYPH,
};

/* The word scanners test "letter or digit" as k - KLET <= 1 and "a digit
 * among them" by bit 3. */
_Static_assert(KDIG == KLET + 1 && (KDIG & 8) != 0 && (KLET & 8) == 0, "KLET, KDIG");

/* clang-format off */
static const unsigned char ascii_cls[128] = {
    /* 00 */ KSEP, KSEP, KSEP, KSEP, KSEP, KSEP, KSEP, KSEP,
    /* 08 */ KSEP, KSPC, KNL,  KSPC, KSPC, KSPC, KSEP, KSEP,
    /* 10 */ KSEP, KSEP, KSEP, KSEP, KSEP, KSEP, KSEP, KSEP,
    /* 18 */ KSEP, KSEP, KSEP, KSEP, KSEP, KSEP, KSEP, KSEP,
    /*  !"#$%&' */ KSPC, KTERM, KCLOSE, KSEP, KSEP, KSEP, KSEP, KAPOS,
    /* ()*+,-./ */ KSEP, KCLOSE, KSEP, KSEP, KSEP, KHYPH, KTERM, KSEP,
    /* 01234567 */ KDIG, KDIG, KDIG, KDIG, KDIG, KDIG, KDIG, KDIG,
    /* 89:;<=>? */ KDIG, KDIG, KSEP, KSEP, KSEP, KSEP, KSEP, KTERM,
    /* @ABCDEFG */ KSEP, KLET, KLET, KLET, KLET, KLET, KLET, KLET,
    /* HIJKLMNO */ KLET, KLET, KLET, KLET, KLET, KLET, KLET, KLET,
    /* PQRSTUVW */ KLET, KLET, KLET, KLET, KLET, KLET, KLET, KLET,
    /* XYZ[\]^_ */ KLET, KLET, KLET, KSEP, KSEP, KCLOSE, KSEP, KSEP,
    /* `abcdefg */ KSEP, KLET, KLET, KLET, KLET, KLET, KLET, KLET,
    /* hijklmno */ KLET, KLET, KLET, KLET, KLET, KLET, KLET, KLET,
    /* pqrstuvw */ KLET, KLET, KLET, KLET, KLET, KLET, KLET, KLET,
    /* xyz{|}~  */ KLET, KLET, KLET, KSEP, KSEP, KCLOSE, KSEP, KSEP,
};
/* clang-format on */

typedef struct cls_range {
    uint32_t lo, hi;
    unsigned char cls;
} cls_range;

/* Classes of non-ASCII code points, sorted, not overlapping. Anything not
 * listed is a letter: unknown scripts are far more often letters than
 * symbols, and a symbol mistaken for a letter costs less than a letter
 * mistaken for a separator. */
static const cls_range uni_cls[] = {
    {0x0080, 0x0084, KSEP}, /* C1 controls */
    {0x0085, 0x0085, KNL},  /* NEL */
    {0x0086, 0x009F, KSEP},
    {0x00A0, 0x00A0, KSPC},  /* NBSP */
    {0x00A1, 0x00A9, KSEP},  /* ¡ .. © */
    {0x00AB, 0x00AC, KSEP},  /* « ¬ */
    {0x00AD, 0x00AD, KMARK}, /* soft hyphen: invisible, inside words */
    {0x00AE, 0x00B4, KSEP},
    {0x00B6, 0x00B9, KSEP},
    {0x00BB, 0x00BB, KCLOSE}, /* » */
    {0x00BC, 0x00BF, KSEP},
    {0x00D7, 0x00D7, KSEP}, /* × */
    {0x00F7, 0x00F7, KSEP}, /* ÷ */
    {0x02BC, 0x02BC, KAPOS},
    {0x02C2, 0x02C5, KSEP}, /* modifier symbols */
    {0x02D2, 0x02DF, KSEP},
    {0x02E5, 0x02EB, KSEP},
    {0x02ED, 0x02ED, KSEP},
    {0x02EF, 0x02FF, KSEP},
    {0x0300, 0x036F, KMARK}, /* combining diacritics */
    {0x0375, 0x0375, KSEP},
    {0x037E, 0x037E, KTERM}, /* Greek question mark */
    {0x0384, 0x0385, KSEP},
    {0x0387, 0x0387, KSEP},
    {0x03F6, 0x03F6, KSEP},
    {0x0482, 0x0482, KSEP},
    {0x0483, 0x0489, KMARK},
    {0x055A, 0x055F, KSEP}, /* Armenian punctuation */
    {0x0589, 0x0589, KTERM},
    {0x058A, 0x058A, KHYPH},
    {0x058D, 0x058F, KSEP},
    {0x05BE, 0x05BE, KHYPH}, /* maqaf */
    {0x05C0, 0x05C0, KSEP},
    {0x05C3, 0x05C3, KTERM},
    {0x05C6, 0x05C6, KSEP},
    {0x05F3, 0x05F4, KSEP},
    {0x0600, 0x060F, KSEP}, /* Arabic signs, comma */
    {0x061B, 0x061E, KSEP},
    {0x061F, 0x061F, KTERM},
    {0x066A, 0x066D, KSEP},
    {0x06D4, 0x06D4, KTERM},
    {0x06DD, 0x06DE, KSEP},
    {0x06E9, 0x06E9, KSEP},
    {0x0700, 0x070D, KSEP}, /* Syriac punctuation */
    {0x07F6, 0x07F9, KSEP},
    {0x0964, 0x0965, KTERM}, /* danda */
    {0x0970, 0x0970, KSEP},
    {0x0E3F, 0x0E3F, KSEP},
    {0x0E4F, 0x0E4F, KSEP},
    {0x0E5A, 0x0E5B, KSEP},
    {0x0F04, 0x0F12, KSEP}, /* Tibetan marks */
    {0x104A, 0x104B, KTERM},
    {0x10FB, 0x10FB, KSEP},
    {0x1360, 0x1361, KSEP}, /* Ethiopic */
    {0x1362, 0x1362, KTERM},
    {0x1363, 0x1368, KSEP},
    {0x166D, 0x166E, KSEP},
    {0x1680, 0x1680, KSPC},
    {0x169B, 0x169C, KSEP},
    {0x16EB, 0x16ED, KSEP},
    {0x17D4, 0x17DA, KSEP},
    {0x1800, 0x180A, KSEP}, /* Mongolian */
    {0x180B, 0x180F, KMARK},
    {0x1AB0, 0x1AFF, KMARK},
    {0x1DC0, 0x1DFF, KMARK},
    {0x1FBD, 0x1FBD, KSEP}, /* Greek spacing accents */
    {0x1FBF, 0x1FC1, KSEP},
    {0x1FCD, 0x1FCF, KSEP},
    {0x1FDD, 0x1FDF, KSEP},
    {0x1FED, 0x1FEF, KSEP},
    {0x1FFD, 0x1FFE, KSEP},
    {0x2000, 0x200B, KSPC},  /* spaces, zero width space */
    {0x200C, 0x200D, KMARK}, /* ZWNJ, ZWJ: inside Persian and Indic words */
    {0x200E, 0x200F, KSEP},
    {0x2010, 0x2011, KHYPH},
    {0x2012, 0x2018, KSEP},
    {0x2019, 0x2019, KAPOS},
    {0x201A, 0x201C, KSEP},
    {0x201D, 0x201D, KCLOSE}, /* ” */
    {0x201E, 0x2027, KSEP},
    {0x2028, 0x2028, KNL},
    {0x2029, 0x2029, KPARA},
    {0x202A, 0x202E, KSEP},
    {0x202F, 0x202F, KSPC},
    {0x2030, 0x2039, KSEP},
    {0x203A, 0x203A, KCLOSE}, /* › */
    {0x203B, 0x205E, KSEP},
    {0x205F, 0x205F, KSPC},
    {0x2060, 0x2060, KMARK}, /* word joiner */
    {0x2061, 0x20CF, KSEP},  /* invisible operators, super/subscripts, currency */
    {0x20D0, 0x20FF, KMARK},
    {0x2100, 0x2BFF, KSEP}, /* letterlike, number forms, arrows, math, shapes... */
    {0x2CE5, 0x2CEA, KSEP},
    {0x2CF9, 0x2CFF, KSEP},
    {0x2E00, 0x2FFF, KSEP}, /* punctuation, radicals, description characters */
    {0x3000, 0x3000, KSPC},
    {0x3001, 0x3001, KSEP},
    {0x3002, 0x3002, KTCJK}, /* 。 */
    {0x3003, 0x3004, KSEP},
    {0x3005, 0x3007, KCJK}, /* 々 〆 〇 */
    {0x3008, 0x300C, KSEP},
    {0x300D, 0x300D, KCLOSE}, /* 」 */
    {0x300E, 0x300E, KSEP},
    {0x300F, 0x300F, KCLOSE}, /* 』 */
    {0x3010, 0x3040, KSEP},
    {0x3041, 0x3098, KCJK}, /* hiragana */
    {0x3099, 0x309A, KMARK},
    {0x309B, 0x309C, KSEP},
    {0x309D, 0x309F, KCJK},
    {0x30A0, 0x30A0, KSEP},
    {0x30A1, 0x30FA, KCJK}, /* katakana */
    {0x30FB, 0x30FB, KSEP}, /* ・ */
    {0x30FC, 0x30FF, KCJK},
    {0x3190, 0x319F, KSEP},
    {0x31C0, 0x31EF, KSEP},
    {0x31F0, 0x31FF, KCJK},
    {0x3200, 0x33FF, KSEP}, /* enclosed and compatibility CJK */
    {0x3400, 0x4DBF, KCJK},
    {0x4DC0, 0x4DFF, KSEP},
    {0x4E00, 0x9FFF, KCJK},
    {0xA490, 0xA4CF, KSEP},
    {0xA4FE, 0xA4FF, KSEP},
    {0xA60D, 0xA60F, KSEP},
    {0xA6F2, 0xA6F7, KSEP},
    {0xA700, 0xA716, KSEP},
    {0xA720, 0xA721, KSEP},
    {0xA828, 0xA82B, KSEP},
    {0xA830, 0xA839, KSEP},
    {0xA874, 0xA877, KSEP},
    {0xA8CE, 0xA8CF, KSEP},
    {0xD800, 0xF8FF, KSEP}, /* surrogates (never decoded), private use */
    {0xF900, 0xFAFF, KCJK},
    {0xFB29, 0xFB29, KSEP},
    {0xFD3E, 0xFD3F, KSEP},
    {0xFDFC, 0xFDFD, KSEP},
    {0xFE00, 0xFE0F, KMARK}, /* variation selectors */
    {0xFE10, 0xFE1F, KSEP},
    {0xFE20, 0xFE2F, KMARK},
    {0xFE30, 0xFE6F, KSEP},
    {0xFEFF, 0xFEFF, KMARK}, /* BOM / zero width no-break space */
    {0xFF00, 0xFF00, KSEP},
    {0xFF01, 0xFF01, KTCJK}, /* ！ */
    {0xFF02, 0xFF08, KSEP},
    {0xFF09, 0xFF09, KCLOSE}, /* ） */
    {0xFF0A, 0xFF0F, KSEP},
    {0xFF10, 0xFF19, KDIG}, /* full-width digits, folded to ASCII */
    {0xFF1A, 0xFF1E, KSEP},
    {0xFF1F, 0xFF1F, KTCJK}, /* ？ */
    {0xFF20, 0xFF20, KSEP},
    {0xFF3B, 0xFF40, KSEP},
    {0xFF5B, 0xFF60, KSEP},
    {0xFF61, 0xFF61, KTCJK}, /* ｡ */
    {0xFF62, 0xFF65, KSEP},
    {0xFF66, 0xFF9F, KCJK},   /* half-width katakana */
    {0xFFE0, 0xFFFF, KSEP},   /* symbols, specials, U+FFFD */
    {0x1D000, 0x1D24F, KSEP}, /* musical symbols */
    {0x1D300, 0x1D35F, KSEP},
    {0x1F000, 0x1FBFF, KSEP},  /* emoji, pictographs, game symbols */
    {0x20000, 0x323AF, KCJK},  /* ideograph extensions B-H, compatibility supplement */
    {0xE0000, 0xE007F, KMARK}, /* tags (flag sequences) */
    {0xE0100, 0xE01EF, KMARK},
    {0xF0000, 0x10FFFF, KSEP}, /* private use */
};

static unsigned uni_class(uint32_t cp)
{
    size_t lo = 0, hi = sizeof uni_cls / sizeof *uni_cls;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < uni_cls[mid].lo)
            hi = mid;
        else if (cp > uni_cls[mid].hi)
            lo = mid + 1;
        else
            return uni_cls[mid].cls;
    }
    return KLET;
}

/* Folding of Latin letters to lower-case ASCII, two bytes per code point:
 * one or two letters ("a ", "ss", "ae"), or ".." for "not a plain Latin
 * letter: see fold_ranges". Generated from Unicode 14 data: lower-case, NFKD,
 * drop the marks; letters that do not decompose (ø, ł, đ, ƀ...) were taken
 * from their names ("LATIN SMALL LETTER O WITH STROKE" -> "o"); ß, æ, œ and
 * þ spelled out. */
static const char fold_00c0[] =
    "a a a a a a aec e e e e i i i i d n o o o o o ..o u u u u y thss" /* U+00C0 */
    "a a a a a a aec e e e e i i i i d n o o o o o ..o u u u u y thy " /* U+00E0 */
    "a a a a a a c c c c c c c c d d d d e e e e e e e e e e g g g g " /* U+0100 */
    "g g g g h h h h i i i i i i i i i i ijijj j k k ..l l l l l l l " /* U+0120 */
    "l l l n n n n n n n ....o o o o o o oeoer r r r r r s s s s s s " /* U+0140 */
    "s s t t t t t t u u u u u u u u u u u u w w y y y z z z z z z s " /* U+0160 */
    "b b b b ......c c d d d d ........f f g ......i k k l ....n n .." /* U+0180 */
    "o o ....p p ..........t t t t u u ..v y y z z .................." /* U+01A0 */
    "........dzdzdzljljljnjnjnja a i i o o u u u u u u u u u u ..a a " /* U+01C0 */
    "a a aeaeg g g g k k o o o o ....j dzdzdzg g ....n n a a aeaeo o " /* U+01E0 */
    "a a a a e e e e i i i i o o o o r r r r u u u u s s t t ....h h " /* U+0200 */
    "n d ....z z a a e e o o o o o o o o y y l n t ......a c c l t s " /* U+0220 */
    "z ....b ....e e j j q q r r y y " /* U+0240 */;
static const char fold_1e00[] =
    "a a b b b b b b c c d d d d d d d d d d e e e e e e e e e e f f " /* U+1E00 */
    "g g h h h h h h h h h h i i i i k k k k k k l l l l l l l l m m " /* U+1E20 */
    "m m m m n n n n n n n n o o o o o o o o p p p p r r r r r r r r " /* U+1E40 */
    "s s s s s s s s s s t t t t t t t t u u u u u u u u u u v v v v " /* U+1E60 */
    "w w w w w w w w w w x x x x y y z z z z z z h t w y a s ....ss.." /* U+1E80 */
    "a a a a a a a a a a a a a a a a a a a a a a a a e e e e e e e e " /* U+1EA0 */
    "e e e e e e e e i i i i o o o o o o o o o o o o o o o o o o o o " /* U+1EC0 */
    "o o o o u u u u u u u u u u u u u u y y y y y y y y ........y y " /* U+1EE0 */;
static const char fold_fb00[] = "fffifl....stst"; /* ligatures; ffi and ffl stay */

_Static_assert(sizeof fold_00c0 == 2 * (0x250 - 0xC0) + 1, "fold_00c0 covers U+00C0..U+024F");
_Static_assert(sizeof fold_1e00 == 2 * 0x100 + 1, "fold_1e00 covers U+1E00..U+1EFF");
_Static_assert(sizeof fold_fb00 == 2 * 7 + 1, "fold_fb00 covers U+FB00..U+FB06");

typedef struct fold_range {
    uint32_t lo, hi;
    int32_t delta; /* added to the code point */
    uint32_t step; /* 2: only every other code point from lo (upper/lower pairs) */
} fold_range;

/* Lower-casing outside the tables above (Greek, Cyrillic, Armenian,
 * Georgian, Glagolitic, Coptic, Latin Extended-C/D, full-width ASCII, the odd
 * Latin letter without an ASCII base such as Ŋ -> ŋ), generated from Unicode
 * 14 lower() plus the Greek and Cyrillic accent rules described at the top,
 * compressed into runs of equal delta. */
static const fold_range fold_ranges[] = {
    {0x00AA, 0x00AA, -73, 1},    {0x00B5, 0x00B5, 775, 1},    {0x00BA, 0x00BA, -75, 1},
    {0x014A, 0x014A, 1, 1},      {0x0184, 0x0184, 1, 1},      {0x0186, 0x0186, 206, 1},
    {0x018E, 0x018E, 79, 1},     {0x018F, 0x018F, 202, 1},    {0x0190, 0x0190, 203, 1},
    {0x0194, 0x0194, 207, 1},    {0x0196, 0x0196, 211, 1},    {0x019C, 0x019C, 211, 1},
    {0x019F, 0x019F, 214, 1},    {0x01A2, 0x01A2, 1, 1},      {0x01A6, 0x01A6, 218, 1},
    {0x01A7, 0x01A7, 1, 1},      {0x01A9, 0x01A9, 218, 1},    {0x01B1, 0x01B1, 217, 1},
    {0x01B7, 0x01B7, 219, 1},    {0x01B8, 0x01B8, 1, 1},      {0x01BC, 0x01BC, 1, 1},
    {0x01EE, 0x01EE, 1, 1},      {0x01F6, 0x01F6, -97, 1},    {0x01F7, 0x01F7, -56, 1},
    {0x021C, 0x021C, 1, 1},      {0x0222, 0x0222, 1, 1},      {0x0241, 0x0241, 1, 1},
    {0x0244, 0x0244, 69, 1},     {0x0245, 0x0245, 71, 1},     {0x0370, 0x0372, 1, 2},
    {0x0376, 0x0376, 1, 1},      {0x037F, 0x037F, 116, 1},    {0x0386, 0x0386, 43, 1},
    {0x0388, 0x0388, 45, 1},     {0x0389, 0x0389, 46, 1},     {0x038A, 0x038A, 47, 1},
    {0x038C, 0x038C, 51, 1},     {0x038E, 0x038E, 55, 1},     {0x038F, 0x038F, 58, 1},
    {0x0390, 0x0390, 41, 1},     {0x0391, 0x03A1, 32, 1},     {0x03A3, 0x03A9, 32, 1},
    {0x03AA, 0x03AA, 15, 1},     {0x03AB, 0x03AB, 26, 1},     {0x03AC, 0x03AC, 5, 1},
    {0x03AD, 0x03AD, 8, 1},      {0x03AE, 0x03AE, 9, 1},      {0x03AF, 0x03AF, 10, 1},
    {0x03B0, 0x03B0, 21, 1},     {0x03C2, 0x03C2, 1, 1},      {0x03CA, 0x03CA, -17, 1},
    {0x03CB, 0x03CB, -6, 1},     {0x03CC, 0x03CC, -13, 1},    {0x03CD, 0x03CD, -8, 1},
    {0x03CE, 0x03CE, -5, 1},     {0x03CF, 0x03CF, 8, 1},      {0x03D3, 0x03D3, -1, 1},
    {0x03D4, 0x03D4, -2, 1},     {0x03D8, 0x03EE, 1, 2},      {0x03F4, 0x03F4, -60, 1},
    {0x03F7, 0x03F7, 1, 1},      {0x03F9, 0x03F9, -7, 1},     {0x03FA, 0x03FA, 1, 1},
    {0x03FD, 0x03FF, -130, 1},   {0x0400, 0x0400, 53, 1},     {0x0401, 0x0401, 52, 1},
    {0x0402, 0x040C, 80, 1},     {0x040D, 0x040D, 43, 1},     {0x040E, 0x040F, 80, 1},
    {0x0410, 0x042F, 32, 1},     {0x0450, 0x0450, -27, 1},    {0x0451, 0x0451, -28, 1},
    {0x045D, 0x045D, -37, 1},    {0x0460, 0x0480, 1, 2},      {0x048A, 0x04BE, 1, 2},
    {0x04C0, 0x04C0, 15, 1},     {0x04C1, 0x04CD, 1, 2},      {0x04D0, 0x052E, 1, 2},
    {0x0531, 0x0556, 48, 1},     {0x10A0, 0x10C5, 7264, 1},   {0x10C7, 0x10C7, 7264, 1},
    {0x10CD, 0x10CD, 7264, 1},   {0x1C90, 0x1CBA, -3008, 1},  {0x1CBD, 0x1CBF, -3008, 1},
    {0x1EFA, 0x1EFC, 1, 2},      {0x2C00, 0x2C2F, 48, 1},     {0x2C60, 0x2C60, 1, 1},
    {0x2C62, 0x2C62, -10743, 1}, {0x2C63, 0x2C63, -3814, 1},  {0x2C64, 0x2C64, -10727, 1},
    {0x2C67, 0x2C6B, 1, 2},      {0x2C6D, 0x2C6D, -10780, 1}, {0x2C6E, 0x2C6E, -10749, 1},
    {0x2C6F, 0x2C6F, -10783, 1}, {0x2C70, 0x2C70, -10782, 1}, {0x2C72, 0x2C72, 1, 1},
    {0x2C75, 0x2C75, 1, 1},      {0x2C7E, 0x2C7F, -10815, 1}, {0x2C80, 0x2CE2, 1, 2},
    {0x2CEB, 0x2CED, 1, 2},      {0x2CF2, 0x2CF2, 1, 1},      {0xA640, 0xA66C, 1, 2},
    {0xA680, 0xA69A, 1, 2},      {0xA722, 0xA72E, 1, 2},      {0xA732, 0xA76E, 1, 2},
    {0xA779, 0xA77B, 1, 2},      {0xA77D, 0xA77D, -35332, 1}, {0xA77E, 0xA786, 1, 2},
    {0xA78B, 0xA78B, 1, 1},      {0xA78D, 0xA78D, -42280, 1}, {0xA790, 0xA792, 1, 2},
    {0xA796, 0xA7A8, 1, 2},      {0xA7AA, 0xA7AA, -42308, 1}, {0xA7AB, 0xA7AB, -42319, 1},
    {0xA7AC, 0xA7AC, -42315, 1}, {0xA7AD, 0xA7AD, -42305, 1}, {0xA7AE, 0xA7AE, -42308, 1},
    {0xA7B0, 0xA7B0, -42258, 1}, {0xA7B1, 0xA7B1, -42282, 1}, {0xA7B2, 0xA7B2, -42261, 1},
    {0xA7B3, 0xA7B3, 928, 1},    {0xA7B4, 0xA7C2, 1, 2},      {0xA7C4, 0xA7C4, -48, 1},
    {0xA7C5, 0xA7C5, -42307, 1}, {0xA7C6, 0xA7C6, -35384, 1}, {0xA7C7, 0xA7C9, 1, 2},
    {0xA7D0, 0xA7D0, 1, 1},      {0xA7D6, 0xA7D8, 1, 2},      {0xA7F5, 0xA7F5, 1, 1},
    {0xFF10, 0xFF19, -65248, 1}, {0xFF21, 0xFF3A, -65216, 1}, {0xFF41, 0xFF5A, -65248, 1},
};

static int fold_cp(uint32_t cp, uint32_t out[2])
{
    const char *m = NULL;
    if (cp >= 0xC0 && cp < 0x250)
        m = fold_00c0 + 2 * (cp - 0xC0);
    else if (cp >= 0x1E00 && cp < 0x1F00)
        m = fold_1e00 + 2 * (cp - 0x1E00);
    else if (cp >= 0xFB00 && cp <= 0xFB06)
        m = fold_fb00 + 2 * (cp - 0xFB00);
    if (m && m[0] != '.') {
        out[0] = (unsigned char)m[0];
        if (m[1] == ' ')
            return 1;
        out[1] = (unsigned char)m[1];
        return 2;
    }
    size_t lo = 0, hi = sizeof fold_ranges / sizeof *fold_ranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const fold_range *r = &fold_ranges[mid];
        if (cp < r->lo) {
            hi = mid;
        } else if (cp > r->hi) {
            lo = mid + 1;
        } else {
            out[0] = (cp - r->lo) % r->step ? cp : (uint32_t)((int32_t)cp + r->delta);
            return 1;
        }
    }
    out[0] = cp;
    return 1;
}

int tok_fold(uint32_t cp, uint32_t out[2])
{
    if (cp < 0x80) {
        out[0] = cp - 'A' < 26 ? cp + 32 : cp;
        return 1;
    }
    if (uni_class(cp) == KMARK)
        return 0;
    return fold_cp(cp, out);
}

/* Class of the character at text[i], with its code point and length. */
static unsigned char_at(const char *text, size_t len, size_t i, uint32_t *cp, size_t *n)
{
    unsigned char c = (unsigned char)text[i];
    if (c < 0x80) {
        *cp = c;
        *n = 1;
        return ascii_cls[c];
    }
    *n = utf8_decode(text + i, len - i, cp);
    return uni_class(*cp); /* U+FFFD, hence every invalid byte, is KSEP */
}

static unsigned class_at(const char *text, size_t len, size_t i)
{
    if (i >= len)
        return KSEP;
    uint32_t cp;
    size_t n;
    return char_at(text, len, i, &cp, &n);
}

/* A grouping comma is followed by exactly three digits. */
static int group_of_three(const char *text, size_t len, size_t i)
{
    for (size_t k = 0; k < 3; k++)
        if (i + k >= len || (unsigned)(text[i + k] - '0') > 9)
            return 0;
    return class_at(text, len, i + 3) != KDIG;
}

/* The word being built. Room past the cap lets a multibyte append test the
 * limit once instead of per byte. */
typedef struct word {
    char text[TOK_MAX_BYTES + 8];
    size_t len;
    int over; /* folded form passed TOK_MAX_BYTES: the word will be skipped */
    unsigned flags;
    size_t start, end;
} word;

typedef struct state {
    token_cb cb;
    void *ctx;
    uint32_t pos;
    unsigned sentence; /* TOK_SENTENCE while the next token starts a sentence */
} state;

static void word_begin(word *w, size_t at, unsigned flags)
{
    w->len = 0;
    w->over = 0;
    w->flags = flags;
    w->start = w->end = at;
}

static inline void put_byte(word *w, unsigned char c)
{
    if (w->len < TOK_MAX_BYTES)
        w->text[w->len++] = (char)c;
    else
        w->over = 1;
}

static void put_cp(word *w, uint32_t cp)
{
    if (cp < 0x80) {
        put_byte(w, (unsigned char)cp);
        return;
    }
    char b[4];
    size_t n = utf8_encode(cp, b);
    if (w->len + n <= TOK_MAX_BYTES) {
        memcpy(w->text + w->len, b, n);
        w->len += n;
    } else {
        w->over = 1;
    }
}

static int emit(state *st, word *w)
{
    if (w->over || w->len == 0)
        return 0;
    w->text[w->len] = '\0';
    token t = {w->text, w->len, w->start, w->end, st->pos++, w->flags | st->sentence};
    st->sentence = 0;
    return st->cb(st->ctx, &t);
}

#define BYTES_01 0x0101010101010101ull
#define BYTES_80 0x8080808080808080ull

/* Eight bytes of text, the first in the low byte whatever the host's order. */
static inline uint64_t load8(const char *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

static inline void store8(char *p, uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    memcpy(p, &x, 8);
}

/* Bit 7 of each byte of x that is an ASCII letter or digit; the digits'
 * in *digits. Every byte is first taken below 0x80 (the non-ASCII ones are
 * masked out at the end), so the additions never carry into the next byte. */
static inline uint64_t alnum8(uint64_t x, uint64_t *digits)
{
    uint64_t ascii = ~x & BYTES_80;
    uint64_t low = x & ~BYTES_80;
    uint64_t lc = low | 0x20 * BYTES_01;
    uint64_t letter = (lc + (0x80 - 'a') * BYTES_01) & ~(lc + (0x80 - 'z' - 1) * BYTES_01);
    uint64_t digit = (low + (0x80 - '0') * BYTES_01) & ~(low + (0x80 - '9' - 1) * BYTES_01);
    *digits = digit & ascii & BYTES_80;
    return (letter | digit) & ascii & BYTES_80;
}

/* The run of ASCII letters and digits at text[i] (i < len, an ASCII letter or
 * digit): returns where it ends and sets *digits when it holds one. With a
 * word, also copies it lower-cased to w->text from w->len, as far as w->text
 * has room (the caller decides whether it fits the cap). Words are short, so
 * the end is found eight bytes at a time: one step for most words. */
static inline size_t ascii_run(const char *text, size_t len, size_t i, word *w, int *digits)
{
    size_t j = i;
    uint64_t dig = 0;
    while (len - j >= 8) {
        uint64_t x = load8(text + j), d;
        uint64_t stop = ~alnum8(x, &d) & BYTES_80;
        if (w) {
            size_t at = w->len + (j - i);
            if (at + 8 <= sizeof w->text) /* bytes past the run are dropped */
                store8(w->text + at, x | 0x20 * BYTES_01);
        }
        if (stop) {
            /* stop - 1: the bits below the first byte that stops the run */
            dig |= d & (stop - 1);
            j += (size_t)__builtin_ctzll(stop) >> 3;
            *digits = dig != 0;
            return j;
        }
        dig |= d;
        j += 8;
    }
    for (; j < len; j++) {
        unsigned char c = (unsigned char)text[j];
        unsigned k = c < 0x80 ? ascii_cls[c] : KSEP;
        if (k != KLET && k != KDIG)
            break;
        if (w && w->len + (j - i) < sizeof w->text)
            w->text[w->len + (j - i)] = (char)(c | 0x20);
        dig |= k == KDIG;
    }
    *digits = dig != 0;
    return j;
}

/* Scans the word starting at *pi (a letter or digit), emitting it, or its
 * hyphen-separated parts, and leaves *pi just past it. */
static int scan_word(state *st, const char *text, size_t len, size_t *pi)
{
    word w;
    size_t i = *pi;
    unsigned prev = KSEP; /* class of the last letter/digit/joiner taken */
    uint32_t cp;
    size_t n;
    int rc;
    word_begin(&w, i, 0);
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        unsigned k;
        if (c < 0x80) {
            k = ascii_cls[c];
            if (k == KLET || k == KDIG) {
                /* The common case: a run of ASCII letters and digits, copied
                 * in one go. c | 0x20 lower-cases letters and keeps digits. */
                int digits;
                size_t j = ascii_run(text, len, i, &w, &digits);
                if (digits)
                    w.flags |= TOK_NUMBER;
                if (w.len + (j - i) <= TOK_MAX_BYTES)
                    w.len += j - i;
                else
                    w.over = 1;
                prev = ascii_cls[(unsigned char)text[j - 1]];
                i = j;
                w.end = i;
                continue;
            }
            cp = c;
            n = 1;
        } else {
            k = char_at(text, len, i, &cp, &n);
        }
        uint32_t f[2];
        switch (k) {
        case KLET:
        case KDIG:
            for (int j = 0, m = fold_cp(cp, f); j < m; j++)
                put_cp(&w, f[j]);
            if (k == KDIG)
                w.flags |= TOK_NUMBER;
            prev = k;
            i += n;
            w.end = i;
            continue;
        case KMARK:
            i += n;
            w.end = i;
            continue;
        case KAPOS:
            if (prev == KLET && class_at(text, len, i + n) == KLET) {
                put_byte(&w, '\'');
                prev = KAPOS;
                i += n;
                continue;
            }
            break;
        case KHYPH: {
            unsigned next = class_at(text, len, i + n);
            if (prev == KDIG && next == KDIG) {
                put_byte(&w, '-');
                prev = KHYPH;
                i += n;
                continue;
            }
            if (next == KLET || next == KDIG) {
                if ((rc = emit(st, &w)) != 0)
                    return rc;
                i += n;
                word_begin(&w, i, TOK_HYPHENATED);
                prev = KSEP;
                continue;
            }
            break;
        }
        default:
            if (cp == ',' && prev == KDIG && group_of_three(text, len, i + 1)) {
                prev = KHYPH;
                i++;
                continue;
            }
            if ((cp == '.' || cp == ':' || cp == '/') && prev == KDIG &&
                class_at(text, len, i + 1) == KDIG) {
                put_byte(&w, (unsigned char)cp);
                prev = KHYPH;
                i++;
                continue;
            }
            break;
        }
        break;
    }
    *pi = i;
    return emit(st, &w);
}

/* Between words: whether the next word starts a sentence (tokenize.h's
 * rules, at the top of this file). */
typedef struct gap {
    int term;     /* a terminator was seen in this gap */
    int newlines; /* newlines with only white space since */
} gap;

static inline void gap_step(gap *g, unsigned *sentence, unsigned k)
{
    switch (k) {
    case KSPC:
        if (g->term)
            *sentence = TOK_SENTENCE;
        break;
    case KNL:
        if (g->term || ++g->newlines >= 2)
            *sentence = TOK_SENTENCE;
        break;
    case KPARA:
    case KTCJK:
        *sentence = TOK_SENTENCE;
        g->term = g->newlines = 0;
        break;
    case KTERM:
        g->term = 1;
        g->newlines = 0;
        break;
    case KCLOSE:
    case KAPOS:
        g->newlines = 0;
        break;
    default: /* separators, and words or CJK characters: the gap is over */
        g->term = g->newlines = 0;
        break;
    }
}

int tokenize(const char *text, size_t len, int mode, uint32_t first_pos, token_cb cb, void *ctx)
{
    /* TOKENIZE_QUERY follows the document rules: query syntax is taken off
     * before the text gets here, and both sides must split words alike. */
    (void)mode;
    state st = {cb, ctx, first_pos, TOK_SENTENCE};
    gap g = {0, 0};
    size_t i = 0;
    int rc;
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        uint32_t cp;
        size_t n = 1;
        unsigned k = c < 0x80 ? ascii_cls[c] : char_at(text, len, i, &cp, &n);
        if (k == KLET || k == KDIG || k == KCJK) {
            if (k != KCJK) {
                if ((rc = scan_word(&st, text, len, &i)) != 0)
                    return rc;
            } else {
                word w;
                word_begin(&w, i, TOK_CJK);
                memcpy(w.text, text + i, n);
                w.len = n;
                w.end = i + n;
                i += n;
                if ((rc = emit(&st, &w)) != 0)
                    return rc;
            }
            g.term = g.newlines = 0;
            continue;
        }
        gap_step(&g, &st.sentence, k);
        i += n;
    }
    return 0;
}

/* The bytes that may join two runs of letters and digits into one word, or
 * split it into parts (scan_word's cases): ' - , . : / */
#define ASCII_JOINERS                                                                              \
    ((UINT64_C(1) << '\'') | (UINT64_C(1) << ',') | (UINT64_C(1) << '-') | (UINT64_C(1) << '.') |  \
     (UINT64_C(1) << '/') | (UINT64_C(1) << ':'))

/* One word of tokenize_ascii(), with its hyphen-separated parts: scan_word's
 * rules for ASCII, counting the folded bytes instead of copying them. Adds
 * the spans to out[*n...]. Returns where the word ends. */
static inline size_t ascii_word(const char *text, size_t len, size_t i, tok_span *out, size_t *n,
                                unsigned *sentence)
{
    size_t start = i, folded = 0, k = *n;
    unsigned flags = 0;
    for (;;) {
        /* Every way on below leaves i at a letter or digit. */
        int digits;
        size_t j = ascii_run(text, len, i, NULL, &digits);
        if (digits)
            flags |= TOK_NUMBER;
        folded += j - i;
        i = j;
        unsigned char c = i < len ? (unsigned char)text[i] : 0;
        if (c >= 64 || !(ASCII_JOINERS >> c & 1))
            break; /* the common case: a space or other punctuation ends it */
        unsigned prev = ascii_cls[(unsigned char)text[i - 1]];
        unsigned next = i + 1 < len ? ascii_cls[(unsigned char)text[i + 1] & 0x7F] : KSEP;
        if (c == '\'' && prev == KLET && next == KLET) {
            folded++;
        } else if (c == '-' && prev == KDIG && next == KDIG) {
            folded++;
        } else if (c == '-' && (next == KLET || next == KDIG)) {
            if (folded <= TOK_MAX_BYTES) {
                out[k++] = (tok_span){(uint32_t)start, (uint32_t)i, flags | *sentence};
                *sentence = 0;
            }
            start = i + 1;
            folded = 0;
            flags = TOK_HYPHENATED;
        } else if (c == ',' && prev == KDIG && group_of_three(text, len, i + 1)) {
            /* a grouping comma: dropped from the folded form */
        } else if (c != '\'' && c != '-' && c != ',' && prev == KDIG && next == KDIG) {
            folded++; /* . : or / inside a number */
        } else {
            break;
        }
        i++;
    }
    if (folded <= TOK_MAX_BYTES) {
        out[k++] = (tok_span){(uint32_t)start, (uint32_t)i, flags | *sentence};
        *sentence = 0;
    }
    *n = k;
    return i;
}

size_t tokenize_ascii(const char *text, size_t len, tok_span *out)
{
    gap g = {0, 0};
    unsigned sentence = TOK_SENTENCE;
    size_t i = 0, n = 0;
    while (i < len) {
        unsigned k = ascii_cls[(unsigned char)text[i] & 0x7F];
        if (k - KLET <= 1u) {
            i = ascii_word(text, len, i, out, &n, &sentence);
            g.term = g.newlines = 0;
            /* A space right after a word changes nothing (gap_step: no
             * terminator yet): the usual gap costs no look-up. */
            if (i < len && text[i] == ' ')
                i++;
            continue;
        }
        gap_step(&g, &sentence, k);
        i++;
    }
    return n;
}
