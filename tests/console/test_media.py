"""Speech, transcription and images through the console in a real browser, checked where it matters: the audio
element plays to its end, and the mask the provider receives has the painted pixels transparent."""
import base64
import json
import urllib.request

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import pngread
from console import open_page, poll, severe_console_entries, sign_in


def stats(driver, list_id):
    terms = driver.find_elements(By.CSS_SELECTOR, f"#{list_id} dt")
    values = driver.find_elements(By.CSS_SELECTOR, f"#{list_id} dd")
    return {t.text: v.text for t, v in zip(terms, values)}


def test_a_speech_request_streams_and_plays_to_the_end(driver, stack):
    sign_in(driver, stack, stack.key)
    open_page(driver, "speak")
    Select(driver.find_element(By.ID, "speak-model")).select_by_visible_text("tts-1")
    text = driver.find_element(By.ID, "speak-text")
    text.clear()
    text.send_keys("Chorus speaks this while it streams.")
    Select(driver.find_element(By.ID, "speak-format")).select_by_visible_text("mp3")
    driver.find_element(By.CSS_SELECTOR, "#speak-form button[type=submit]").click()
    poll(lambda: driver.execute_script("return document.getElementById('speak-audio').ended"), timeout=40)
    figures = poll(lambda: (lambda s: s if "Server total" in s else None)(stats(driver, "speak-stats")))
    assert figures["Playback"] == "streamed (Media Source)"
    assert figures["Audio started after"].endswith(" ms") and int(figures["Characters"]) > 0
    assert severe_console_entries(driver) == []


def test_a_wav_answer_plays_to_the_end_from_a_blob(driver, stack):
    sign_in(driver, stack, stack.key)
    open_page(driver, "speak")
    Select(driver.find_element(By.ID, "speak-model")).select_by_visible_text("tts-1")
    Select(driver.find_element(By.ID, "speak-format")).select_by_visible_text("wav")
    driver.find_element(By.CSS_SELECTOR, "#speak-form button[type=submit]").click()
    poll(lambda: driver.execute_script("return document.getElementById('speak-audio').ended"), timeout=40)
    assert stats(driver, "speak-stats")["Playback"] == "after download"


def test_an_mp3_stream_media_source_cannot_parse_still_plays(driver, stack):
    # The mock provider answers WAV whatever format is asked, and Chorus passes a provider's audio through.
    sign_in(driver, stack, stack.key)
    open_page(driver, "speak")
    Select(driver.find_element(By.ID, "speak-model")).select_by_visible_text("wav-speaker")
    Select(driver.find_element(By.ID, "speak-format")).select_by_visible_text("mp3")
    driver.find_element(By.CSS_SELECTOR, "#speak-form button[type=submit]").click()
    poll(lambda: driver.execute_script("return document.getElementById('speak-audio').ended"), timeout=40)


def spoken_wav(stack, text):
    request = urllib.request.Request(stack.base + "/v1/audio/speech", method="POST",
                                     data=json.dumps({"model": "tts-1", "input": text, "voice": "alloy",
                                                      "response_format": "wav"}).encode(),
                                     headers={"Authorization": f"Bearer {stack.key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return response.read()


def test_a_verbose_transcript_shows_words_with_timings(driver, stack, tmp_path):
    sample = tmp_path / "hello.wav"
    sample.write_bytes(spoken_wav(stack, "Please turn off the lights in the kitchen."))
    sign_in(driver, stack, stack.key)
    open_page(driver, "transcribe")
    driver.find_element(By.ID, "tr-file").send_keys(str(sample))
    Select(driver.find_element(By.ID, "tr-model")).select_by_visible_text("whisper-1")
    Select(driver.find_element(By.ID, "tr-format")).select_by_value("verbose_json")
    driver.find_element(By.CSS_SELECTOR, "#tr-form button[type=submit]").click()
    rows = poll(lambda: driver.find_elements(By.CSS_SELECTOR, "#tr-result table:first-of-type tbody tr"), timeout=60)
    assert driver.find_element(By.CSS_SELECTOR, "#tr-result table:first-of-type caption").text.startswith("Words")
    words = [r.find_element(By.TAG_NAME, "td").text.lower() for r in rows]
    # The table is the point, not pocketsphinx's accuracy on espeak's voice: most of the sentence is enough.
    assert len({"please", "turn", "off", "lights", "kitchen"} & set(words)) >= 2, words
    start, end = (float(c.text) for c in rows[0].find_elements(By.CSS_SELECTOR, "td.num"))
    assert 0 <= start <= end


def test_an_uploaded_sample_clones_a_voice_and_is_saved_to_the_library(driver, stack, tmp_path):
    sample = tmp_path / "me.wav"
    sample.write_bytes(spoken_wav(stack, "This is how I sound when I read a sentence aloud for the voice library."))
    sign_in(driver, stack, stack.key)
    open_page(driver, "speak")
    Select(driver.find_element(By.ID, "speak-model")).select_by_visible_text("tts-1")
    driver.find_element(By.ID, "clone-file").send_keys(str(sample))
    assert driver.find_element(By.ID, "speak-use-sample").is_selected()
    driver.find_element(By.CSS_SELECTOR, "#speak-form button[type=submit]").click()
    poll(lambda: driver.execute_script("return document.getElementById('speak-audio').ended"), timeout=40)
    driver.find_element(By.ID, "clone-name").send_keys("my uploaded voice")
    driver.find_element(By.CSS_SELECTOR, "#clone-form button[type=submit]").click()
    chosen = poll(lambda: (lambda s: s if s.startswith("voice_") else None)(
        driver.execute_script("return document.getElementById('speak-voice').value")))
    assert Select(driver.find_element(By.ID, "speak-voice")).first_selected_option.text == "my uploaded voice"
    assert not driver.find_element(By.ID, "speak-use-sample").is_selected() and chosen
    assert severe_console_entries(driver) == []


def test_an_srt_transcript_shows_numbered_cues(driver, stack, tmp_path):
    sample = tmp_path / "hello.wav"
    sample.write_bytes(spoken_wav(stack, "Please turn off the lights in the kitchen."))
    sign_in(driver, stack, stack.key)
    open_page(driver, "transcribe")
    driver.find_element(By.ID, "tr-file").send_keys(str(sample))
    Select(driver.find_element(By.ID, "tr-model")).select_by_visible_text("whisper-1")
    Select(driver.find_element(By.ID, "tr-format")).select_by_visible_text("srt")
    driver.find_element(By.CSS_SELECTOR, "#tr-form button[type=submit]").click()
    cues = poll(lambda: driver.find_elements(By.CSS_SELECTOR, "#tr-result pre"), timeout=60)[0].text
    assert cues.startswith("1\n00:00:") and " --> " in cues


def paint(driver, canvas, points):
    """Drags the mouse through `points` given in the canvas's own pixels."""
    size = driver.execute_script("const c = arguments[0], r = c.getBoundingClientRect();"
                                 "return [r.width / c.width, r.height / c.height, r.width, r.height]", canvas)
    sx, sy, width, height = size

    def offset(point):
        return int(point[0] * sx - width / 2), int(point[1] * sy - height / 2)

    actions = ActionChains(driver)
    actions.move_to_element_with_offset(canvas, *offset(points[0])).click_and_hold()
    for point in points[1:]:
        actions.move_to_element_with_offset(canvas, *offset(point))
    actions.release().perform()


def open_in_editor(driver, stack, tmp_path, width, height):
    """Signs in, opens the Images page and loads a width × height PNG into the mask editor; the mask canvas."""
    image = tmp_path / "photo.png"
    image.write_bytes(pngread.write(width, height))
    sign_in(driver, stack, stack.key)
    open_page(driver, "images")
    driver.find_element(By.ID, "edit-file").send_keys(str(image))
    canvas = driver.find_element(By.ID, "edit-mask")
    poll(lambda: driver.execute_script("return arguments[0].width", canvas) == width)
    return canvas


def last_image_request(stack):
    """What the mock provider received last: its path and its files, decoded."""
    with urllib.request.urlopen(stack.upstream + "/debug/last-image-request") as response:
        received = json.load(response)
    return received["path"], {f["name"]: base64.b64decode(f["b64"]) for f in received["files"]}


def submit_edit(driver, stack):
    """Sends the edit form, waits for the result, and returns the path and files the provider received."""
    driver.find_element(By.CSS_SELECTOR, "#edit-form button[type=submit]").click()
    poll(lambda: driver.find_elements(By.CSS_SELECTOR, "#img-results figure img"), timeout=30)
    return last_image_request(stack)


def test_a_painted_mask_reaches_the_provider_with_painted_pixels_transparent(driver, stack, tmp_path):
    canvas = open_in_editor(driver, stack, tmp_path, 256, 256)
    # The default brush is 32 px wide: a stroke along y = 60 from x = 40 to x = 200.
    paint(driver, canvas, [(40, 60), (120, 60), (200, 60)])
    Select(driver.find_element(By.ID, "edit-model")).select_by_value("gpt-image-1")
    path, files = submit_edit(driver, stack)
    assert path.endswith("/images/edits")
    width, height, mask = pngread.read(files["mask"])
    assert (width, height) == (256, 256) and pngread.read(files["image"])[:2] == (256, 256)
    for x in (40, 80, 120, 160, 200):
        assert mask[60][x][3] == 0, (x, mask[60][x])
    for x, y in ((10, 10), (128, 150), (250, 250), (120, 100)):
        assert mask[y][x][3] == 255, (x, y, mask[y][x])
    assert severe_console_entries(driver) == []


def test_inverting_the_mask_makes_the_unpainted_area_transparent(driver, stack, tmp_path):
    canvas = open_in_editor(driver, stack, tmp_path, 128, 64)
    paint(driver, canvas, [(20, 32), (40, 32)])
    driver.find_element(By.ID, "edit-invert").click()
    _, files = submit_edit(driver, stack)
    _, _, mask = pngread.read(files["mask"])
    assert mask[32][30][3] == 255 and mask[5][120][3] == 0 and mask[60][100][3] == 0


def test_generated_images_show_from_b64_and_from_a_stored_url(driver, stack):
    sign_in(driver, stack, stack.key)
    open_page(driver, "images")
    Select(driver.find_element(By.ID, "gen-size")).select_by_visible_text("256x256")
    submit = driver.find_element(By.CSS_SELECTOR, "#gen-form button[type=submit]")
    submit.click()
    poll(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#img-results figure img")) == 1)
    driver.find_element(By.ID, "gen-store").click()
    poll(lambda: submit.is_enabled())
    submit.click()
    widths = poll(lambda: (lambda w: w if len(w) == 2 and all(w) else None)(driver.execute_script(
        "return [...document.querySelectorAll('#img-results figure img')].map(i => i.complete ? i.naturalWidth : 0)")))
    assert widths == [256, 256]
    assert severe_console_entries(driver) == []


def test_the_mask_can_be_painted_from_the_keyboard(driver, stack, tmp_path):
    from selenium.webdriver.common.keys import Keys

    canvas = open_in_editor(driver, stack, tmp_path, 128, 128)
    # The brush starts in the middle: Space starts painting, two steps right paint along, Space stops.
    canvas.send_keys(Keys.SPACE, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.SPACE)
    _, files = submit_edit(driver, stack)
    _, _, mask = pngread.read(files["mask"])
    assert mask[64][64][3] == 0 and mask[64][90][3] == 0 and mask[10][10][3] == 255 and mask[64][120][3] == 255


def test_a_variation_of_a_result_reaches_the_provider_and_is_shown(driver, stack):
    sign_in(driver, stack, stack.key)
    open_page(driver, "images")
    Select(driver.find_element(By.ID, "gen-size")).select_by_visible_text("256x256")
    driver.find_element(By.CSS_SELECTOR, "#gen-form button[type=submit]").click()
    vary = poll(lambda: driver.find_elements(By.XPATH, "//div[@id='img-results']//button[text()='Variations']"))
    vary[0].click()
    poll(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#img-results figure img")) == 2, timeout=30)
    path, files = last_image_request(stack)
    assert path.endswith("/images/variations")
    assert pngread.read(files["image"])[:2] == (256, 256)


def test_the_eraser_takes_paint_off_the_mask(driver, stack, tmp_path):
    canvas = open_in_editor(driver, stack, tmp_path, 256, 128)
    paint(driver, canvas, [(30, 64), (130, 64), (226, 64)])
    driver.find_element(By.CSS_SELECTOR, "label[for=edit-eraser]").click()
    paint(driver, canvas, [(128, 20), (128, 108)])
    _, files = submit_edit(driver, stack)
    _, _, mask = pngread.read(files["mask"])
    assert mask[64][50][3] == 0 and mask[64][200][3] == 0 and mask[64][128][3] == 255
