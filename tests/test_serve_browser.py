"""`zoo serve` in a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium): the page
starts on tiny runs of every app, translates a sentence, classifies an image, plays a tic-tac-toe move that the
agent answers, and shows a message for each kind of bad input. A screenshot of every tab goes to the test's
temporary folder (and to $ZOO_SCREENSHOTS when set: the README's pictures come from there)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("gradio", reason="gradio is not installed (pip install 'zoo-suite[serve]')")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="Debian's chromium and chromium-driver are not "
                                "installed (make data installs them where apt and root are available)")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TABS = ("vision", "nlp", "rl", "science pde", "science genomics")
WAIT = 60  # seconds for an answer: the first call of a model warms it up on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    from tests.apps.nlp.serve_runs import tiny_run as nlp_run
    from tests.apps.rl.serve_runs import tiny_run as rl_run
    from tests.apps.science.genomics.serve_runs import tiny_run as genomics_run
    from tests.apps.science.pde.serve_runs import tiny_run as pde_run
    from tests.apps.vision.serve_runs import tiny_run as vision_run

    runs = tmp_path_factory.mktemp("serve") / "runs"
    for make in (vision_run, nlp_run, rl_run, pde_run, genomics_run):
        make(runs)
    return runs


@pytest.fixture(scope="module")
def server(runs_dir):
    port = free_port()
    log = open(runs_dir.parent / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "zoo", "serve", "--runs-dir", str(runs_dir), "--port", str(port)],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"zoo serve exited: {(runs_dir.parent / 'serve.log').read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(1)
    else:
        proc.kill()
        pytest.fail(f"zoo serve did not answer on {url}: {(runs_dir.parent / 'serve.log').read_text()[-3000:]}")
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(server, browser):
    browser.get(server)
    WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.XPATH, "//button[@role='tab']")))
    return browser


def open_tab(driver, label: str) -> None:
    tab = driver.find_element(By.XPATH, f"//button[@role='tab' and normalize-space()='{label}']")
    tab.click()
    time.sleep(0.5)


def by_id(driver, elem_id: str):
    return WebDriverWait(driver, WAIT).until(EC.visibility_of_element_located((By.ID, elem_id)))


def text_field(driver, elem_id: str):
    return by_id(driver, elem_id).find_element(By.CSS_SELECTOR, "textarea, input")


def set_text(driver, elem_id: str, text: str) -> None:
    """Put ``text`` in a Gradio textbox as typing would (long texts set directly, then an input event)."""
    field = text_field(driver, elem_id)
    field.clear()
    if 0 < len(text) < 200:
        field.send_keys(text)
    else:  # long, or empty (clear() alone does not tell gradio the box is empty)
        driver.execute_script("arguments[0].value = arguments[1];"
                              "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", field, text)


def wait_for_text(driver, fragment: str) -> None:
    """Until ``fragment`` shows anywhere on the page (an answer, or gradio's error message)."""
    WebDriverWait(driver, WAIT).until(lambda d: fragment.lower() in d.find_element(By.TAG_NAME, "body").text.lower(),
                                      f"{fragment!r} never showed on the page")


def close_messages(driver) -> None:
    for button in driver.find_elements(By.CSS_SELECTOR, ".toast-close, button[aria-label='Close']"):
        try:
            button.click()
        except Exception:  # a toast that closed itself meanwhile
            pass


def screenshot(driver, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "screenshots"
    folder.mkdir(exist_ok=True)
    driver.save_screenshot(str(folder / f"{name}.png"))
    if os.environ.get("ZOO_SCREENSHOTS"):
        Path(os.environ["ZOO_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / f"{name}.png", Path(os.environ["ZOO_SCREENSHOTS"]) / f"serve_{name}.png")


def test_every_tab_is_there(page, tmp_path):
    for label in TABS:
        open_tab(page, label)
        assert "cannot show this tab" not in page.find_element(By.TAG_NAME, "body").text
        screenshot(page, tmp_path, label.replace(" ", "_"))


def test_translate_a_sentence_and_refuse_bad_text(page, tmp_path):
    open_tab(page, "nlp")
    set_text(page, "nlp-text", "The cat sleeps. I like apples.")
    by_id(page, "nlp-translate").click()
    WebDriverWait(page, WAIT).until(lambda d: text_field(d, "nlp-output").get_attribute("value").strip())
    screenshot(page, tmp_path, "nlp_translated")
    set_text(page, "nlp-text", "")
    by_id(page, "nlp-translate").click()
    wait_for_text(page, "The text is empty")
    close_messages(page)
    set_text(page, "nlp-text", "word " * 2001)
    by_id(page, "nlp-translate").click()
    wait_for_text(page, "the limit is 10,000 characters")
    close_messages(page)


def test_classify_an_image_and_refuse_bad_uploads(page, tmp_path):
    from PIL import Image

    open_tab(page, "vision")
    picture = tmp_path / "digit.png"
    Image.new("L", (32, 32), 0).save(picture)
    upload(page, "vision-image", picture)
    by_id(page, "vision-classify").click()
    WebDriverWait(page, WAIT).until(lambda d: "%" in by_id(d, "vision-labels").text, "no probabilities shown")
    screenshot(page, tmp_path, "vision_classified")
    huge = tmp_path / "huge.png"
    Image.new("L", (5000, 5000), 0).save(huge)
    upload(page, "vision-image", huge)
    by_id(page, "vision-classify").click()
    wait_for_text(page, "the limit is 4096 pixels on a side")
    close_messages(page)
    not_image = tmp_path / "notes.png"
    not_image.write_text("this is not an image")
    upload(page, "vision-image", not_image)
    by_id(page, "vision-classify").click()
    wait_for_text(page, "notes.png is not a readable image")
    close_messages(page)


def upload(driver, elem_id: str, path: Path) -> None:
    """Choose ``path`` in the file input inside component ``elem_id`` (clearing an earlier upload first)."""
    for clear in by_id(driver, elem_id).find_elements(By.CSS_SELECTOR, "button[aria-label='Clear'], "
                                                                       "button[title='Clear']"):
        clear.click()
        time.sleep(0.3)
    field = by_id(driver, elem_id).find_element(By.CSS_SELECTOR, "input[type='file']")
    field.send_keys(str(path))
    time.sleep(1.0)


def test_play_a_tic_tac_toe_move_and_see_the_agent_answer(page, tmp_path):
    open_tab(page, "rl")
    by_id(page, "rl-new").click()
    time.sleep(1.0)
    by_id(page, "rl-cell-4").click()
    WebDriverWait(page, WAIT).until(lambda d: sum(by_id(d, f"rl-cell-{i}").text.strip() in ("X", "O")
                                                  for i in range(9)) == 2, "the agent never answered")
    assert by_id(page, "rl-cell-4").text.strip() in ("X", "O")
    screenshot(page, tmp_path, "rl_played")
    by_id(page, "rl-cell-4").click()  # taken: refused with a message
    wait_for_text(page, "occupied")
    close_messages(page)


def test_score_a_dna_sequence_and_refuse_other_letters(page, tmp_path):
    open_tab(page, "science genomics")
    set_text(page, "genomics-sequence", "ACGTXACGT")
    by_id(page, "genomics-score").click()
    wait_for_text(page, "'X' at position 5 is not DNA")
    close_messages(page)
    screenshot(page, tmp_path, "genomics_refused")
    set_text(page, "genomics-sequence", "ACGTACGTAACCGGTT" * 4)
    by_id(page, "genomics-score").click()
    WebDriverWait(page, WAIT).until(lambda d: text_field(d, "genomics-activity").get_attribute("value").strip(),
                                    "no activity shown")
    screenshot(page, tmp_path, "genomics_scored")


def test_a_pde_sample_beside_the_solver(page, tmp_path):
    open_tab(page, "science pde")
    by_id(page, "pde-run").click()
    WebDriverWait(page, WAIT).until(lambda d: text_field(d, "pde-timings").get_attribute("value").strip(),
                                    "no timings shown")
    assert "solver" in text_field(page, "pde-timings").get_attribute("value").lower()
    screenshot(page, tmp_path, "pde_compared")
