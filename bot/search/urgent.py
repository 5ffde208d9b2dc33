"""Danger and self-harm detection for every message, however it is spelt (id, jv, su, en, mixed).

    classify(text) -> "danger" | "self_harm" | None
    detect(text)   -> Finding(danger=..., self_harm=...)   (both facts, for a reply that needs both)

When a message reads as both (for example "sy dikurung majikan ... pengen bunuh diri"), classify()
says "self_harm": the person may take their own life, so the crisis reply (crisis lines and a person
to talk to) comes first; detect() keeps `danger` set so the reply can add the emergency numbers too.

How a message is read:
1. It is cut into clauses at punctuation, lower-cased, reduplication expanded ("pegang2"); each word
   has its elongation squeezed ("tolonggg"), its chat spelling mapped ("sy" -> "saya", "gk" ->
   "tidak", "pengen" -> "ingin"; data/urgent-spellings.tsv) and a clitic stripped where a pattern
   needs the stem ("hidupnya"); a split "di" is joined to its verb ("di pukul" -> "dipukul").
2. A clause is dangerous when a word is a form of a harm verb (dipukul, dipukulin, mukulin,
   digebuki, diperkosa, ...: every affixed form of _HARM_ROOTS, generated once; lock and throw
   verbs only with a person, not after a thing: "akun sy dikunci") or a phrase pattern matches
   (not allowed out, no food, threats, weapons, forced sex work, running away, medical emergency,
   English). Self-harm has its own patterns (_SELF_HARM).
3. A clause that talks ABOUT the topic is not a report: "apa itu", "berita", "film", "hukuman",
   "cara lapor", "dulu", laughter ... ("apa itu TPPO", "cara lapor kekerasan", "mati aku wkwk").
4. A call for help counts on its own ("tolong", "tolong bantu sy", "help me") when its clause holds
   nothing else and the message asks for no information: "tolong info biaya paspor" is a polite
   "please", not a call for help.

Every message is read whole, whatever its length: each pattern runs only on a few words around
the words it names, so a 4,096-character message costs about 1 ms (bench/urgent.py).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

Label = Literal["danger", "self_harm"]

DATA = Path(__file__).parent / "data" / "urgent-spellings.tsv"


@dataclass(frozen=True)
class Finding:
    """What the danger check found in one message."""

    danger: bool
    self_harm: bool

    @property
    def label(self) -> Label | None:
        """The one label a reply is chosen by: self-harm first (see the module docstring)."""
        if self.self_harm:
            return "self_harm"
        return "danger" if self.danger else None


# -- vocabulary ---------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Verb roots whose affixed forms report harm done to someone (di-, me-/nasal, -in, -i, -kan, -nya):
# "dipukul", "mukulin", "menyiksa", "digebuki", "dicekokin". Javanese and Sundanese roots included
# (antem, gebug, peupeuh, teunggeul, tampiling, cabok, keprok).
_HARM_ROOTS = _words(
    "pukul gebuk gebug hajar siksa aniaya tampar tempeleng gampar tabok tonjok jotos tendang sepak "
    "cekik jambak banting bacok tusuk sabet pecut cambuk setrum sundut injak pentung keplak "
    "antem peupeuh teunggeul tampiling cabok benturin bentur "
    "sekap kurung kunci konci gembok "
    "perkosa cabul gerayang raba leceh grepe "
    "ancam ancem cubit cakar lempar intip injek cekok keprok jitak gaplok "
    "perjualbelikan jualbelikan culik sandera"
)
# Roots with everyday senses too ("pukul 8", "tendang bola", "tusuk sate", "kunci pintu", "siksa
# kubur"): bare, they count only beside a person ("pukul saya") or after "kena"; active, only with
# a person after them ("nendang saya", "mukul ABK"); passive, not after a thing ("akun sy dikunci").
_BARE_IS_ORDINARY = _words(
    "pukul kunci konci kurung raba injak injek bentur benturin gembok antem tendang sepak tusuk "
    "banting setrum sabet pecut lempar cubit cakar hajar cambuk siksa intip culik sandera"
)
_EVERYDAY = _words(
    "pukul kunci konci kurung raba injak injek bentur benturin gembok tendang sepak tusuk banting "
    "setrum sabet pecut lempar cubit cakar hajar cambuk intip"
)
# "ke-" and "ter-" say it happened by accident ("ketusuk jarum", "kesetrum"): no prefix here.
_PASSIVE_PREFIXES = ("di", "d", "dipun", "diper", "dipi")  # "d": "dkurung", a common typo
_SUFFIXES = ("", "in", "i", "kan", "nya", "inya", "innya", "kannya", "ku", "in2")
_PASSIVE_SUFFIXES = (*_SUFFIXES, "an")  # Sundanese "dipukulan"


def _nasal(root: str) -> list[str]:
    """Active (nasal) forms of a root: pukul -> mukul, memukul; siksa -> nyiksa, menyiksa."""
    first, rest = root[0], root[1:]
    if first == "p":
        short = ["m" + rest]
    elif first == "t":
        short = ["n" + rest]
    elif first in "sc":
        short = ["ny" + rest]
    elif first == "k":
        short = ["ng" + rest]
    elif first in "aeiou":
        short = ["ng" + root]
    else:  # b, g, h, j, l, r, ...
        short = ["ng" + root, "nge" + root, "m" + root if first == "b" else "n" + root]
    long = ["me" + s if not s.startswith("nge") else "me" + s[2:] for s in short]
    long += ["mem" + root if first == "b" else "men" + root if first in "jcd" else "meng" + root]
    long += ["memper" + root[3:] if root.startswith("per") else ""]
    return [f for f in short + long + ["nge" + root] if f]


@cache
def _harm_forms() -> dict[str, str]:
    """Every affixed surface form of the harm roots -> "passive" | "active" | "weak" | "bare"."""
    forms: dict[str, str] = {}
    for root in sorted(_HARM_ROOTS):
        for suffix in _PASSIVE_SUFFIXES:
            for prefix in _PASSIVE_PREFIXES:
                forms.setdefault(prefix + root + suffix, "passive")
        for suffix in _SUFFIXES:
            for active in _nasal(root):
                forms.setdefault(active + suffix, "weak" if root in _EVERYDAY else "active")
            bare = "bare" if suffix in ("", "in2") else None
            forms.setdefault(root + suffix, bare or ("weak" if root in _EVERYDAY else "active"))
    for root in sorted(_HARM_ROOTS):  # chat drops a vowel: "dipkul", "diprkosa"
        for dropped in _one_vowel_less(root):
            for prefix, suffix in itertools.product(("di", "d"), ("", "in", "i")):
                forms.setdefault(prefix + dropped + suffix, "passive")
    return forms


def _one_vowel_less(root: str) -> list[str]:
    """The root with one inner vowel left out (pukul -> pkul, pukl), for roots of 5+ letters."""
    if len(root) < 5:
        return []
    return [root[:i] + root[i + 1 :] for i in range(1, len(root)) if root[i] in "aeiou"]


@cache
def _roots_of_forms() -> dict[str, str]:
    """Surface form -> root, for the passive forms of the harm roots."""
    return {
        prefix + root + suffix: root
        for root in sorted(_HARM_ROOTS, reverse=True)
        for suffix in _PASSIVE_SUFFIXES
        for prefix in _PASSIVE_PREFIXES
    }


def _harm_root(word: str) -> str:
    return _roots_of_forms().get(word, word)


@cache
def _spellings() -> dict[str, str]:
    """Chat, regional and abbreviated spellings -> one canonical word (urgent-spellings.tsv)."""
    table: dict[str, str] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            canonical, _, variants = line.partition("\t")
            for variant in variants.split():
                table[variant] = canonical
    return table


# -- phrase patterns (run on canonical clauses: "saya tidak boleh keluar") -------------------------

_AUX = r"(?:(?:mau|ingin|sudah|lagi|akan|harus|bisa|coba|berhasil|mencoba|pernah|terpaksa|sedang) )"
_DANGER = (
    # confinement, not allowed out or home, phone or family cut off
    r"\btidak (?:boleh|diizinkan|dikasih|diberi) (?:keluar|pulang|kabur|telepon|hubungi|pegang hp)|"
    r"\btidak bisa (?:keluar|kabur|telepon|hubungi)\b",  # "tidak bisa pulang" is often the fare
    r"\bdilarang (?:keluar|pulang|telepon|pegang hp)\b|\bboleh keluar pagar\b",
    r"(?<!paspor )(?<!gaji )(?<!dokumen )(?<!ktp )(?<!ijazah )(?<!uang )(?<!hp )(?<!visa )(?<!paspor saya )"
    r"(?<!gaji saya )(?<!paspornya )\bditahan (?:di|oleh|sama|perusahaan|agen|majikan|bos|polisi)\b|"
    r"\btahan paspor\b",
    r"\b(?:mau|ingin|minta) pulang (?:\w+ ){0,3}tidak (?:dikasih|boleh)\b",
    r"\b(?:disekap|disandera|terkurung|tersekap|tersiksa|terkunci di (?:kamar|rumah|gudang|asrama))\b",
    r"\bhp (?:saya |nya )?(?:diambil|disita|dirampas|ditahan)\b|\b(?:sita|ambil|rampas) hp\b",
    r"\b(?:kunci|dikunci|ngunci|mengunci)\w* (?:\w+ ){0,3}dari luar\b",
    r"\b(?:selamatkan|keluarkan|keluarin|bebaskan|selametin) (?:saya|kami|anak|adik|istri|suami|kakak)\b",
    r"\b(?:nyium|nyiumin|cium|ciumin|mencium|menciumi|dicium) (?:saya )?(?:paksa|secara paksa)\b|"
    r"\bjual (?:saya|kami|anak|adik|istri|kakak)\b",
    # food, medical emergency
    r"\btidak (?:dikasih|diberi|kasih|dikei|dipasihan)(?: saya| kami)? (?:makan|mangan|tuang)\b",
    r"\bmakan (?:sisa|basi)\b|\bnasi basi\b|\btidak ada makanan\b|"
    r"\b(?:dikasih|dikasi|diberi|dicekokin|dicekoki|dikasih minum) obat tidur\b",
    r"\b(?:di|ke)(?:buang|lempar) ke (?:laut|jalan)\b",
    r"\b(?:disetrika|dibakar|disiram|disundut|disulut) (?:tangan|kaki|muka|wajah|badan|punggung|kulit)",
    r"\b(?:di)?pegang (?:di)?pegang\b|\b(?:ngajak|mengajak|diajak) (?:saya )?(?:tidur|"
    r"begituan|ml|berhubungan)\b",
    r"\b(?:kelaparan|muntah darah|berdarah|pingsan|kejang|tidak sadar(?:kan)?)\b",
    r"\btidak (?:mau |boleh )?(?:panggil|telepon|bawa ke) (?:ambulan|ambulans|ambulance|dokter|rs|"
    r"rumah sakit)\b",
    r"\b(?:napas|nafas)\w* (?:lemah|sesak|berhenti)\b|\bsesak napas\b|\btidak bangun bangun\b|\bsekarat\b|"
    r"\btidak bisa (?:digerakkan|digerakin|bergerak|berdiri)\b",
    r"\b(?:melayani|layani|memuaskan|muasin) nafsu|\bdipaksa (?:nikah|kawin|menikah)\b|"
    r"\b(?:didorong|dorong|ndorong|mendorong) (?:\w+ )?(?:dari|jatuh) (?:tangga|lantai|balkon)\b",
    r"\bsisa (?:anjing|kucing|majikan)\b|\bmakan (?:cuma |hanya )?sehari sekali\b",
    r"\btidak (?:mau|izinin|izinkan|boleh|bawa)(?: saya)? (?:bawa |antar )?(?:ke (?:rs|dokter|"
    r"rumah sakit|klinik)|sandar)\b",
    # threats to life, weapons
    r"\b(?:di|mau |akan )?bunuh(?! (?:diri|waktu))\b|\bdibunuh\b|\bterancam\b|\bdalam bahaya\b",
    r"\b(?:bawa|pegang|pakai|acungin|ambil|pake) (?:pisau|parang|golok|senjata|pistol|celurit)\b",
    r"\bbersenjata\b|\bditusuk\b",
    r"\bdisiram (?:air )?(?:panas|mendidih|bensin|minyak|keras)\b|\bair keras\b|"
    r"\b(?:siram|nyiram|siramin|disiramin|tumpahin|numpahin) (?:\w+ ){0,2}air (?:panas|mendidih)\b",
    # sexual violence and forced sex work
    r"\b(?:dipaksa|disuruh|dijadikan|jadi) (?:jadi |jd )?(?:psk|pelacur|lonte|wts|jual diri|melacur)\b",
    r"\bjual diri\b|\bmelayani (?:tamu|laki|pria|om|lelaki)|\blayani (?:tamu|laki|pria|om|lelaki)",
    r"\b(?:maksa|memaksa|dipaksa) (?:saya )?(?:tidur|berhubungan|begituan|ml|hubungan)\b",
    r"\b(?:pegang|elus|ngelus|dielus|raba|grepe|remas|meremas|sentuh|nyentuh)(?: \w+)? (?:badan|dada|"
    r"paha|pantat|"
    r"tubuh|payudara|bokong|kemaluan)\b",
    r"\b(?:masuk|ke) kamar saya\b(?! \w+ (?:bersih|beres))|\bngintip saya\b|\bintip saya\b",
    r"\bmajikan (?:yang )?cabul\b|\bcabul\b",
    # trafficking, forced work
    r"\b(?:saya|anak|adik|kakak|istri|suami|kami|dia) (?:\w+ )?dijual\b|\bdijual (?:ke|sama|oleh|agen)\b",
    r"\b(?:saya|kami|anak saya|adik saya|kakak saya|istri saya|suami saya|"
    r"teman saya) (?:\w+ )?korban (?:tppo|perdagangan|kekerasan|"
    r"pelecehan|penyiksaan|perkosaan|trafficking)",
    r"\btebusan\b|\b(?:dipaksa|disuruh|kerja) (?:nipu|menipu|scam)\b|\bdipaksa (?:kerja|gugurin|aborsi)\b",
    r"\bdiperdagangkan\b|\btrafficked\b|\bdiperbudak\b|\b(?:dijadikan|dijadiin) budak\b",
    r"\b(?:anak|adik|kakak|istri|suami|ibu|bapak|ayah|abang) (?:saya )?(?:\w+ ){0,4}(?:hilang kontak|"
    r"tidak ada kabar|tidak bisa dihubungi)\b",
    # running away (the person's own: "sponsor kabur bawa uang" is not)
    rf"(?:^|\b(?:tolong|kalau|dan|terus|jadi|sekarang|karena|biar|supaya|akhirnya|kemarin|baru|"
    rf"sudah|mau|ingin) )(?:saya|kami) {_AUX}{{0,2}}kabur\b",
    rf"\b(?:anak|adik|kakak|istri|dia) (?:saya )?{_AUX}{{1,2}}kabur\b",
    r"\bkabur dari (?:rumah |tempat )?(?:majikan|agen|penampungan|kapal|asrama|perusahaan|pabrik)\b|"
    r"^(?:mau |ingin |sudah )?kabur\b",
    r"\bmelarikan diri\b|\blari (?:dari|ke) (?:majikan|rumah|agen|penampungan|kamar mandi)\b|"
    r"\bsembunyi\b|\bbersembunyi\b",
    # Javanese / Sundanese phrases
    r"\btidak (?:oleh|kenging|tiasa|dikei|dipasihan|diidinan) (?:metu|kaluar|mulih|wangsul|keluar|pulang)\b",
    # English
    r"\b(?:hit|hits|hitting|beat|beats|beaten|beating|slap|slapped|slaps|kick|kicked|kicks|punch|"
    r"punched|punches|choke|choked|burned|burnt|tortured?|torturing|stabbed|whipped) "
    r"(?:me|us|her|him|them|my)\b",
    r"\b(?:beaten|tortured|abused|assaulted|raped|molested|groped|trafficked|kidnapped|harassed|"
    r"beats|abuses|abusing|raping|molesting)\b",
    r"\b(?:rape|molest)\b(?! (?:case|cases|law|laws|victims))",
    r"\btouch(?:es|ed|ing)? (?:me|my|her)\b|\btouching (?:me|my|her)\b",
    r"\block(?:ed|s)? (?:me|us|her|him|them)\b|\blocked (?:in|up|inside)\b|\btrapped\b|\bheld (?:in|"
    r"captive)\b",
    r"\b(?:not allowed to|(?:won t|wont|will not|do not|dont|don t|does not|doesn t) let (?:me|us|"
    r"her)|cannot|can not)"
    r" (?:go out|leave|go home|go ashore|call)\b",
    r"\b(?:i|we|she|to|wanna|gonna|and) (?:\w+ )?(?:escape|escaped|run away|ran away)\b",
    r"\b(?:sold|selling) (?:me|us|her|him)\b|\b(?:being|was|were|been) sold\b|\bsell (?:me|us|her|him)\b",
    r"\b(?:kill|(?<!is )(?<!it s )killing|kills|hurt|hurts|hurting) (?:me|us|her|him)\b|\bthreat(?:en|"
    r"ened|ening|ens)?\b",
    r"\b(?:no|not given|without) food\b|\bstarv(?:ed|ing) (?:me|us|her)\b|\b(?:being|been) starved\b|"
    r"\bgiven me food\b|\b(?:not|haven t|have not|hasn t|has not|never) (?:been )?(?:fed|"
    r"given (?:any )?food)\b",
    r"\b(?:come|comes|coming|came) (?:in|into|to) my room\b|\bthrow\w* (?:\w+ )?at me\b|\bpull\w* my hair\b",
    r"\bnot (?:giving|feeding) (?:me|us|her|him)\b|\bnot allowed (?:outside|out|to go out)\b|"
    r"\bheld against (?:my|her|our|his) will\b",
    r"\bpush(?:ed|es|ing)? (?:me|her|him|us) (?:down|off|into|out of)\b|"
    r"\bburn(?:ed|t|s)? (?:my|her|his) (?:hand|arm|skin|face|body|leg)\b",
    r"\b(?:in danger|scared for my life|afraid for my life|abusive)\b",
    r"\b(?:got|get|gets|getting|was|were|been|being) (?:hit|slapped|kicked|punched|beaten|hurt|burned|choked|"
    r"stabbed|attacked|assaulted|raped|groped|starved|threatened|sold)\b",
    r"\b(?:with a|has a|holding a) (?:knife|gun)\b|\bknife\b",
    r"\bforce[sd]? (?:me|us|her|him|to)\b|\bforced\b|\bsleep with\b|\bnaked\b",
    r"\b(?:fainted|not breathing|no hospital|hiding from|hide from)\b|\b(?:being |is |am |"
    r"was )?held (?:by|hostage)\b|"
    r"\b(?:won t|wont|will not|don t|dont) let (?:me|us|her|him) go$|\bsold (?:my|her|his) (?:sister|"
    r"daughter|"
    r"wife|friend|brother|son|mother|cousin|niece)\b",
    r"\b(?:bleeding|unconscious|collapsed|not waking up)\b|\b(?:call|calling) (?:an )?ambulance\b",
    r"\bsexually\b|\b(?:my|her) (?:breast|breasts|body)\b",
)
_SELF_HARM = (
    r"\bbunuh diri\b|\bbundir\b|\bgantung diri\b|\bgantung leher\b",
    r"\b(?:ingin|mau|ingin aja|rasanya ingin|lebih baik|mending|mendingan) (?:saya |aku )?(?:mati|"
    r"maot|mati saja|"
    r"mati aja)\b(?! (?:lampu|listrik|gaya|ketawa))",
    r"\b(?:lebih baik|mending|mendingan|ingin) (?:saya |aku )?tiada\b|\bmaot (?:saja|wae)\b|"
    r"\bkepikiran mati\b|\bingin maot\b|"
    r"\b(?:bosan|bosen|muak|kesel|jenuh) (?:hidup|urip)\b",
    r"\b(?:nyakitin|menyakiti|sakitin|lukai|melukai|ngelukain|ngelukai) diri\b|"
    r"\b(?:ngilang|menghilang|hilang) (?:saja )?(?:selamanya|dari dunia)\b",
    r"\b(?:minum|nenggak|menenggak|nelen|telan|telen) (?:\w+ )?(?:racun|baygon|pestisida|obat nyamuk|"
    r"obat serangga|pembasmi|karbol|bayclin)\b",
    r"\bend(?:ing|s|ed)? (?:it all|my life|her life|his life|everything)\b|"
    r"\btak(?:e|es|ing|en) (?:my|her|his) (?:own )?life\b|\b(?:hurt|hurting|harm|harming) (?:myself|"
    r"herself|himself)\b|"
    r"\bself harm\b",
    r"\b(?:akhiri|mengakhiri|ngakhirin|ngakhiri|akhirin) (?:hidup|semua|semuanya|nyawa)\b",
    r"\b(?:potong|motong|iris|ngiris|putus|mutusin|sayat|nyayat) (?:urat )?nadi\b|\bsayatan\b",
    r"\b(?:nelen|telen|menelan|minum) obat (?:tidur )?(?:sebotol|segenggam|sekaligus|satu botol|semua)\b",
    r"\b(?:minum|telan|telen|nelen|minum obat) (?:racun|obat (?:banyak|sebanyak|satu strip|serangga))\b|"
    r"\bminum racun\b",
    r"\b(?:sayat|nyayat|menyayat|silet|nyilet|menyilet|iris|ngiris) (?:\w+ )?(?:tangan|nadi|lengan|kulit|"
    r"paha|pergelangan)\b",
    r"\b(?:loncat|lompat|terjun|melompat|meloncat) (?:dari|ke) (?:balkon|lantai|gedung|jembatan|laut|atap|"
    r"apartemen|jendela)\b|\b(?:loncat|lompat|terjun) dari\b|\bterjun ke laut\b",
    r"\b(?:siapin|nyiapin|siapkan|beli) tali\b|\b(?:beli|siapin|siapkan|nyiapin|punya) racun\b"
    r"(?! (?:serangga|tikus|kecoa|nyamuk|semut|rumput|hama))",
    r"\b(?:tidak|tidak ada) (?:kuat|sanggup|mau|ingin|gunanya|artinya) (?:hidup|urip)\b|"
    r"\bhidup (?:saya |ku |aku )?tidak (?:ada )?(?:artinya|gunanya|berarti)\b|"
    r"\btidak ada gunanya saya hidup\b",
    r"\b(?:buat apa|ngapain|untuk apa) (?:saya |aku )?hidup\b|\b(?:capek|lelah|cape) hidup\b",
    r"\bnyusul (?:bapak|ibu|ayah|emak|mama|papa|almarhum)\b|\bilang (?:saja |aja )?(?:dari dunia|"
    r"selamanya)\b",
    r"\btidak (?:ingin |mau )?bangun (?:lagi|selamanya)\b|\btidur selamanya\b|\bambil (?:saja |aja )?nyawa\b",
    r"\b(?:not want|do not want|don t want|dont want) to be alive\b|\bkill (?:herself|himself)\b|"
    r"\b(?:kill|killing|hurt|hurting|cut|cutting) myself\b|\bsuicid(?:e|al)\b",
    r"\b(?:want|wants|wanna|going) to die\b|\bwant to disappear\b|\bdisappear forever\b",
    r"\bend(?:ing)? (?:my|her|his) life\b|\bend it all\b|\b(?:no reason|not want|do not want|"
    r"don t want) to live\b",
    r"\b(?:want|wanna|going) to end it\b|\bno point (?:in )?living\b|\bnothing to live for\b|"
    r"\btired of living\b|\bsleep forever\b|\b(?:took|swallowed|take) (?:many|a lot of|all) (?:pills|"
    r"my pills)\b",
    r"\bjump (?:off|from)\b|\bbetter (?:if i|off) dead\b|\bbetter if i die\b",
)
# A clause that talks about the topic rather than reporting it.
_ABOUT = re.compile(
    r"\b(?:apa itu|apa arti|artinya|singkatan|pengertian|definisi|berita|film|sinetron|nonton|"
    r"hukuman|penjara|pelaku|seminar|sosialisasi|materi|relawan|dulu|cara (?:lapor|melapor|"
    r"melaporkan|mencegah|cegah|menghindari|nolong teman)|what is|what are|signs of|news|movie|"
    r"penalty|how (?:do|can|should) (?:i|we|you) report|how to report|traffickers|semoga tidak ada|"
    r"wkwk|wkwkwk|haha|hahaha|hehe|lol|awokwok|kasian|kasihan|(?<!ada )(?<!hilang )kabar)\b|"
    r"\b(?:pmi|tkw|tki|abk|orang|pekerja|buruh|wni|workers|maids)(?: \w+)? yang di\w+"
)
# Words around a call for help that add nothing to it ("tolong bantu saya kak").
_CALL = _words("tolong help sos toloong tolongin tulung darurat emergency")
_CALL_FILLER = _words(
    "saya kami kita bantu bantuin dibantu tolong help me us please pls plz someone somebody "
    "kak kakak mbak mba pak bu ibu bapak min admin dong ya ia segera cepat cepetan urgent sos "
    "mas teh kang bang aa mohon bantuan ini the i am need now takut allah gusti tuhan scared afraid plis "
    "sis bro "
    "pliss"
)
# Messages that ask for information: a call for help there is a polite "please".
_ASKS = re.compile(
    r"\b(?:tanya|nanya|naros|takon|tanglet|info|infonya|informasi|syarat|biaya|harga|prosedur|"
    r"jadwal|daftar|link|formulir|cara|caranya|berapa|gimana|how|what|when|find|understand|with)\b"
)

# Passive words the patterns name, so that a split "di jual" is read as "dijual".
_PATTERN_PASSIVES = frozenset(re.findall(r"\bdi[a-z]{3,}", " ".join(_DANGER + _SELF_HARM)))

# Speed: one regex over a 4,096-character message costs 1-10 ms, so each pattern runs only on
# windows of tokens around a word it names (a trigger: its first five letters, also after a
# "di"/"me" prefix). Words nearly every sentence has are no triggers; every pattern names another
# word (checked at import) and tests/test_urgent.py checks that windows find what clauses find.
_COMMON = _words(
    "saya kami tidak ke di dari sama oleh mau ingin sudah lagi akan harus bisa anak adik kakak istri "
    "suami dia teman ibu bapak me us her him my i we she to and the a an is it in up or not no of on "
    "ada yang dengan untuk kalau terus jadi sekarang karena biar supaya kemarin baru coba pernah "
    "sedang aku ku nya kan an saja with has was were been being do does will can them who ke dan "
    "apa for from if all en ed es ing ens al sd don won doesn haven hasn "
    # frequent domain words: every pattern naming one also names a rarer word on each path
    "majikan rumah agen agency kerja pulang hp tolong"
)
_WINDOW = 8  # tokens either side of a trigger; no pattern spans more


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    self_harm: bool
    triggers: frozenset[str]


def _rule(pattern: str, self_harm: bool) -> _Rule:
    literals = re.sub(r"\(\?<?[!=][^)]*\)|\\[a-zA-Z]", " ", pattern)  # no look-arounds, no \b \w
    triggers = frozenset(w[:5] for w in re.findall(r"[a-z]{2,}", literals) if w not in _COMMON)
    if not triggers:
        raise ValueError(f"pattern names no trigger word: {pattern}")
    return _Rule(re.compile(pattern), self_harm, triggers)


_RULES = tuple(_rule(p, False) for p in _DANGER) + tuple(_rule(p, True) for p in _SELF_HARM)
_BY_TRIGGER: dict[str, tuple[int, ...]] = {}
for _i, _r in enumerate(_RULES):
    for _t in _r.triggers:
        _BY_TRIGGER[_t] = (*_BY_TRIGGER.get(_t, ()), _i)


@lru_cache(maxsize=65536)
def _rules_of(tok: str) -> tuple[int, ...]:
    """The rules a token triggers (its first 3-5 letters, or five after a di-/me-/ter- prefix)."""
    keys = {tok[:3], tok[:4], tok[:5]}  # "ending" -> end
    keys.update(k for k in (tok[2:7], tok[3:8]) if len(k) >= 4)  # "dipegang" -> pegan, not "buat" -> at
    return tuple(sorted({r for key in keys for r in _BY_TRIGGER.get(key, ())}))


def _window(tokens: list[str], lo: int, hi: int) -> str:
    """Tokens lo..hi joined; "~" marks a cut so that ^ and $ match only at the clause's ends."""
    return ("~ " if lo else "") + " ".join(tokens[lo:hi]) + (" ~" if hi < len(tokens) else "")


def _matches(tokens: list[str], danger: bool, self_harm: bool) -> tuple[bool, bool]:
    """Whether a danger / self-harm pattern matches the clause (only the kinds asked for)."""
    hits: dict[int, list[int]] = {}
    for i, tok in enumerate(tokens):
        for r in _rules_of(tok):
            hits.setdefault(r, []).append(i)
    found = [False, False]
    for r, positions in sorted(hits.items()):
        rule = _RULES[r]
        if not (self_harm if rule.self_harm else danger) or found[rule.self_harm]:
            continue
        lo, hi = max(0, positions[0] - _WINDOW), positions[0] + _WINDOW + 1
        for i in [*positions[1:], None]:
            if i is not None and i - _WINDOW <= hi:
                hi = i + _WINDOW + 1
                continue
            if rule.pattern.search(_window(tokens, lo, hi)):
                found[rule.self_harm] = True
                break
            if i is not None:
                lo, hi = max(0, i - _WINDOW), i + _WINDOW + 1
    return found[0], found[1]


# -- reading a message ------------------------------------------------------------------------

_ELONGATION = re.compile(r"([a-z])\1{2,}")
_REDUP = re.compile(r"\b([a-z]{2,})2(nya|an|kan|i|in)?\b")
_CLAUSE = re.compile(r"[.,!?;:\n()\[\]\"]+")  # the marks that end a clause
_TOKEN = re.compile(r"[a-z0-9]+")
_SPLIT_PREFIX = frozenset({"di", "d", "dipun", "dii"})


def _clauses(text: str) -> list[list[str]]:
    """Canonical tokens per clause (cut at punctuation), a split "di" joined to a verb after it."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", " ").replace("'", " ")
    if "2" in text:
        text = _REDUP.sub(lambda m: f"{m[1]} {m[1]}{m[2] or ''}", text)
    clauses = []
    for part in _CLAUSE.split(text):
        tokens = list(map(_canonical, _TOKEN.findall(part)))
        if tokens:
            clauses.append(_join_split_prefix(tokens) if _SPLIT_PREFIX.intersection(tokens) else tokens)
    return clauses


def _join_split_prefix(tokens: list[str]) -> list[str]:
    """ "di pukul" -> "dipukul", where "di" + the next word is a passive the patterns know."""
    spell, forms = _spellings(), _harm_forms()
    out: list[str] = []
    for tok in tokens:
        if out and out[-1] in _SPLIT_PREFIX and _is_passive("di" + tok, forms, spell):
            out[-1] = spell.get("di" + tok, "di" + tok)
        else:
            out.append(tok)
    return out


@lru_cache(maxsize=65536)
def _canonical(piece: str) -> str:
    """One word as the patterns expect it: elongation squeezed, chat spelling mapped, and a clitic
    stripped where a pattern can use the stem (hidupnya -> hidup)."""
    tok = _ELONGATION.sub(r"\1", piece)
    tok = _spellings().get(tok, tok)
    if len(tok) > 5 and tok.endswith(_CLITICS) and tok not in _harm_forms():
        stem = tok[:-3] if tok.endswith("nya") else tok[:-2]
        tok = stem if stem in _pattern_words() else tok
    return tok


_CLITICS = ("nya", "ku", "mu")  # hidupnya, nyawaku: "his life", "my life"


@cache
def _pattern_words() -> frozenset[str]:
    """Every word the patterns name, for stripping a clitic only where a pattern can use the stem."""
    text = re.sub(r"\\[a-zA-Z]", " ", " ".join(_DANGER + _SELF_HARM))
    return frozenset(re.findall(r"[a-z]{3,}", text))


def _is_passive(word: str, forms: dict[str, str], spell: dict[str, str]) -> bool:
    return word in forms or word in spell or word in _PATTERN_PASSIVES


_PEOPLE = _words(
    "saya kami kita dia mereka anak adik kakak istri suami teman abk pembantu tkw tki pmi orang pekerja"
)
# Things that get locked, thrown or kept: "akun saya dikunci", "pintu dikunci" is no report.
_THINGS = _words(
    "akun rekening atm kartu hp laptop aplikasi motor mobil pintu gerbang pagar lemari koper kotak "
    "barang sepeda layar wifi sim bola rem gas sate daging kue paku jarum kabel kulkas"
)


def _harm_word(tokens: list[str]) -> bool:
    forms = _harm_forms()
    for i, tok in enumerate(tokens):
        kind = forms.get(tok)
        if kind == "active":
            return True
        if kind == "passive":
            before = tokens[max(0, i - 3) : i]
            if not (_harm_root(tok) in _EVERYDAY and any(t in _THINGS for t in before)):
                return True
        if kind == "weak" and _PEOPLE.intersection(tokens[i + 1 : i + 4]):
            return True
        if kind == "bare" and i + 1 < len(tokens) and tokens[i + 1] == tok:  # "raba2": raba raba
            return True
        if kind == "bare" and (
            tok not in _BARE_IS_ORDINARY
            or (i + 1 < len(tokens) and tokens[i + 1] in _PEOPLE)
            or (i > 0 and tokens[i - 1] in ("kena", "kna"))
        ):
            return True
    return False


_CALL_MAX_WORDS = 12  # a clause that is only a call for help is short
_TRAILING_DOUBLE = re.compile(r"([a-z])\1+$")
_CALL_SPELLING = re.compile(r"(?:to+lo+ng+|tu+lu+ng+|he+lp+|so+s+)(?:in)?")


def _is_call(tokens: list[str]) -> bool:
    """A call for help with nothing else in the clause: "tolong", "tolong bantu saya", "help me"."""
    if len(tokens) > _CALL_MAX_WORDS:
        return False
    called = False
    for tok in tokens:
        if tok in _CALL:
            called = True
        elif tok in _CALL_FILLER:
            continue
        elif _CALL_SPELLING.fullmatch(squeezed := _TRAILING_DOUBLE.sub(r"\1", tok)):  # "tolongg"
            called = True
        elif squeezed not in _CALL_FILLER:  # "kakk", "pliss"
            return False
    return called


def detect(text: str) -> Finding:
    """Read the whole message; see the module docstring for how."""
    danger = self_harm = call = False
    clauses = _clauses(text)
    for tokens in clauses:
        found_danger, found_harm = _matches(tokens, not danger, not self_harm)
        found_danger = found_danger or (not danger and _harm_word(tokens))
        if found_harm or found_danger:
            about = _ABOUT.search(" ".join(tokens)) is not None
            self_harm = self_harm or (found_harm and (not about or "saya" in tokens))
            danger = danger or (found_danger and not about)
        call = call or _is_call(tokens)
        if danger and self_harm:
            break
    if call and not danger:  # a call for help, unless the message asks for information
        danger = not any(_ASKS.search(" ".join(tokens)) for tokens in clauses)
    return Finding(danger, self_harm)


def warm_up() -> None:
    """Build the word tables now (~30 ms) rather than on the first user's message."""
    _spellings(), _harm_forms(), _roots_of_forms(), _pattern_words()


def classify(text: str) -> Label | None:
    """ "danger", "self_harm" (wins when both) or None."""
    return detect(text).label


def is_urgent(text: str) -> bool:
    """True when a message reads as danger or self-harm, in any language the users write."""
    return classify(text) is not None
