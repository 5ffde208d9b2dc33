import re

import pytest
from journeys import full_report, register, rows, start_report

REFERENCE = re.compile(r"\bLP-[2-9A-HJ-NP-Z]{6}\b")


async def test_a_full_report_with_photos_and_a_voice_note(siti, settings):
    await start_report(siti)
    await siti.press("✅ Saya setuju")
    await siti.press("🇹🇼 Taiwan")
    await siti.send_voice()
    await siti.send_photo()
    assert "Sudah diterima: 1 file" in siti.last_text
    await siti.send_photo()
    await siti.press("✅ Selesai")
    await siti.press("Lewat telepon")
    await siti.send("0812 3456 7890")
    assert "3 file" not in siti.last_text and "2 file" in siti.last_text
    await siti.press("✅ Benar, simpan")
    reference = REFERENCE.search(siti.last_text).group()
    assert rows(settings, "SELECT reference, category, country, contact_phone, status FROM cases") == [
        (reference, "unpaid_wages", "TW", "+6281234567890", "new")
    ]
    assert sorted(r[0] for r in rows(settings, "SELECT kind FROM attachments")) == ["photo", "photo", "voice"]


async def test_a_report_for_a_registered_family_member_takes_their_country(siti, settings):
    await register(siti, "Budi Santoso")
    await start_report(siti, subject="Budi Santoso")
    await siti.press("✅ Saya setuju")
    assert siti.last_text.startswith("Ceritakan apa yang terjadi")
    await siti.send("Budi tidak bisa dihubungi")
    await siti.press("⏭️ Lewati")
    await siti.press("Lewat chat ini")
    await siti.press("✅ Benar, simpan")
    assert rows(settings, "SELECT subject, country, worker_id IS NOT NULL FROM cases") == [
        ("family", "TW", 1)
    ]


async def test_an_urgent_report_shows_contacts_before_the_first_question(siti):
    await siti.send("/report")
    await siti.press("Kekerasan atau pelecehan")
    assert siti.last_text.startswith("⚠️ Jika Anda atau keluarga dalam bahaya") and "110" in siti.last_text
    assert siti.last_text.rstrip().endswith("Siapa yang mengalami masalah ini?")


async def test_an_urgent_report_about_someone_else_is_taken_without_consent(siti, settings):
    await start_report(siti, "Perdagangan orang / perekrutan ilegal", "Orang lain")
    assert siti.last_text.startswith("Karena mungkin ada orang dalam bahaya")
    await siti.press("Lanjutkan")
    assert siti.last_text.startswith("Di negara mana")


async def test_no_consent_stores_nothing(siti, settings):
    await start_report(siti)
    await siti.press("Tidak setuju")
    assert rows(settings, "SELECT COUNT(*) FROM cases") == [(0,)]


@pytest.mark.parametrize(
    ("action", "error"),
    [
        ("long", "Jawaban terlalu panjang"),
        ("sticker", "Di langkah ini, ketik jawabannya atau kirim pesan suara"),
    ],
)
async def test_bad_description_is_refused(siti, action, error):
    await start_report(siti)
    await siti.press("✅ Saya setuju")
    await siti.press("🇭🇰 Hong Kong")
    await (siti.send("x" * 3001) if action == "long" else siti.send_sticker())
    assert siti.last_text.startswith(error)


async def test_text_on_the_attachment_step_points_to_the_buttons(siti):
    await start_report(siti)
    await siti.press("✅ Saya setuju")
    await siti.press("🇭🇰 Hong Kong")
    await siti.send("cerita")
    await siti.send("selesai")
    assert siti.last_text.startswith("Kirim foto atau dokumen")


async def test_cancel_mid_report(siti, settings):
    await start_report(siti)
    await siti.send("/cancel")
    assert siti.last_text.startswith("Dibatalkan") and rows(settings, "SELECT COUNT(*) FROM drafts") == [(0,)]


async def test_the_daily_limit(siti, settings):
    for _ in range(5):
        await full_report(siti)
    await siti.send("/report")
    assert siti.last_text.startswith("Anda sudah mengirim 5 laporan") and "0-800-1000" in siti.last_text
    assert rows(settings, "SELECT COUNT(*) FROM cases") == [(5,)]


async def test_a_double_tapped_confirm_makes_one_case(siti, settings):
    await start_report(siti)
    await siti.press("✅ Saya setuju")
    await siti.press("🇭🇰 Hong Kong")
    await siti.send("cerita")
    await siti.press("⏭️ Lewati")
    await siti.press("Jangan hubungi saya")
    confirm = siti.last
    await siti.press("✅ Benar, simpan")
    await siti.press_data(confirm.buttons[0][0].data, confirm.message_id)
    assert rows(settings, "SELECT COUNT(*) FROM cases") == [(1,)]


async def test_status_lists_and_shows_own_cases_only(bot, siti):
    await full_report(siti)
    reference = REFERENCE.search(siti.last_text).group()
    await siti.send("/status")
    assert siti.last_text.startswith("Laporan Anda")
    await siti.press(next(label for label in siti.buttons if label.startswith(reference)))
    assert f"Laporan {reference}" in siti.last_text and "Baru" in siti.last_text
    other = bot.emulator.user(id=2002, first_name="Eve", language_code="id")
    await other.send(f"/status {reference}")
    not_found = other.last_text
    await other.send("/status LP-ZZZZZZ")
    assert not_found.replace(reference, "X") == other.last_text.replace("LP-ZZZZZZ", "X")


async def test_add_information_to_an_open_case(siti, settings):
    await full_report(siti)
    reference = REFERENCE.search(siti.last_text).group()
    await siti.send(f"/status {reference}")
    await siti.press("➕ Tambah informasi")
    await siti.send("Majikan sekarang mengancam saya")
    await siti.press("✅ Ya, itu jawaban saya")  # danger is never taken as an answer unasked
    assert siti.last_text.startswith(f"✅ Terkirim ke petugas untuk laporan {reference}")
    assert rows(settings, "SELECT kind, body FROM case_events ORDER BY id")[-1] == (
        "info",
        "Majikan sekarang mengancam saya",
    )


async def test_ask_staff_becomes_a_question_case(siti, settings):
    await siti.send("resep rendang padang enak")
    await siti.press("🙋 Tanya petugas")
    assert "resep rendang padang enak" in siti.last_text
    await siti.press("✅ Benar, simpan")
    assert REFERENCE.search(siti.last_text)
    assert rows(settings, "SELECT category, description FROM cases") == [
        ("question", "resep rendang padang enak")
    ]


async def test_deletedata_anonymises_cases(siti, settings):
    await full_report(siti)
    await siti.send("/deletedata")
    await siti.press("🗑️ Ya, hapus data saya")
    assert rows(settings, "SELECT category, country, status, user_id, description FROM cases") == [
        ("unpaid_wages", "HK", "new", None, None)
    ]
    assert rows(settings, "SELECT COUNT(*) FROM attachments") == [(0,)]
