"""A lesson in Chromium (issue 16): a link opens step 3 in presenter mode, Reveal trains the
step's setting and shows the real numbers, Next and Previous move through the steps (and the
link follows)."""

from __future__ import annotations

from browser_helpers import ROOT, exception_count, open_page, require_chromium, wait_idle

ARTIFACTS = ROOT / "test-artifacts" / "lessons"

require_chromium()


def test_a_lesson_link_opens_its_step_reveals_the_result_and_moves_on(server, browser):
    url = f"{server}/mlp_moons?lesson=overfitting_moons&step=3&present=1"
    page = open_page(browser, url, viewport=(1400, 1000))
    page.get_by_text("step 3 of 4").first.wait_for()
    page.get_by_text("Which loss ends lower?").first.wait_for()
    page.get_by_text("The validation loss", exact=True).click()  # the student's prediction
    page.locator(".st-key-lesson_reveal button").click()
    page.get_by_text("The validation loss was lowest at epoch").first.wait_for(timeout=120_000)
    wait_idle(page)
    # Presenter mode keeps only the step's controls: the units, not the regularization.
    assert page.locator(".st-key-moons_units_0").count() == 1
    assert page.locator(".st-key-moons_l2").count() == 0
    panel = page.locator(".st-key-lesson_panel").inner_text()
    assert "Answer: The training loss (you predicted: The validation loss)" in panel
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lesson-step-3.png"))
    page.locator(".st-key-lesson_next button").click()
    page.get_by_text("step 4 of 4").first.wait_for()
    page.wait_for_function("() => location.search.includes('step=4')")
    page.locator(".st-key-lesson_previous button").click()
    page.get_by_text("step 3 of 4").first.wait_for()
    page.wait_for_function("() => location.search.includes('step=3')")
    assert exception_count(page) == 0


def test_a_teachers_own_lesson_is_checked_on_upload_and_then_played(server, browser, tmp_path):
    page = open_page(browser, server, viewport=(1400, 1000))
    uploader = page.locator(".st-key-lesson_upload input[type='file']")
    bad = tmp_path / "mine.toml"
    bad.write_text('title = "Mine"\n\n[[step]]\npage = "mars"\nlook = "Hello."\n')
    uploader.set_input_files(str(bad))
    page.get_by_text("Line 4 (step 1): unknown page 'mars'").first.wait_for()
    # (A new file name each time: the same path again fires no change in the input.)
    out_of_range = tmp_path / "mine_range.toml"
    out_of_range.write_text(
        'title = "Mine"\n\n[[step]]\npage = "mlp_moons"\nsettings = { units_0 = 500 }\n'
    )
    uploader.set_input_files(str(out_of_range))
    page.get_by_text("Line 5 (step 1, mlp moons page): the lesson's").first.wait_for(
        timeout=120_000
    )
    assert "units_0 = 500" in page.locator("[data-testid='stAlertContentError']").inner_text()
    good = tmp_path / "mine_fixed.toml"
    good.write_text(
        'title = "Mine"\n\n[[step]]\npage = "mlp_moons"\nsettings = { units_0 = 3 }\n'
        'look = "Three units."\nreveal = "Accuracy {train_accuracy:.0%}."\n'
    )
    uploader.set_input_files(str(good))
    page.get_by_text("Start Mine (1 step)").first.click()
    page.get_by_text("step 1 of 1").first.wait_for(timeout=60_000)
    page.locator(".st-key-lesson_reveal button").click()
    page.get_by_text("Accuracy ").first.wait_for(timeout=120_000)
    assert exception_count(page) == 0
