"""The web console in a real headless Chromium (Selenium), against a running `paastech dev`.

A new user signs up, verifies the address from the mail file, adds an SSH key, creates a project, pushes
an example app with git, opens it, sets an environment variable and sees the app pick it up, rolls back,
and deletes the project; an administrator disables the user, who can then neither log in nor push. Also:
CSRF, admin pages hidden from users, escaped output, page weight. Screenshots of each main page go to the
artifacts directory. Prints one line per step; exits non-zero at the first failed check.

Usage: console_story.py DEV_JSON EXAMPLE_DIR ARTIFACTS_DIR WORK_DIR
"""
import glob
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

dev_json, example, artifacts, work = sys.argv[1:5]
dev = json.load(open(dev_json))
console = dev["console_url"].rstrip("/")
shutil.rmtree(artifacts, ignore_errors=True)  # only this run's screenshots
os.makedirs(artifacts)
step_number = 0


def step(text):
    global step_number
    step_number += 1
    print(f"step {step_number}: {text}", flush=True)


def check(condition, message):
    if not condition:
        shot("failure")
        print("FAILED: " + message, flush=True)
        print("page: " + driver.current_url + "\n" + driver.find_element(By.TAG_NAME, "body").text[:3000], flush=True)
        sys.exit(1)


def shot(name):
    driver.save_screenshot(os.path.join(artifacts, f"{step_number:02d}-{name}.png"))


def wait_for(condition, seconds=30, message="condition"):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if condition():
                return
        except Exception:
            pass
        time.sleep(0.2)
    check(False, "timed out waiting for " + message)


def expect_text(expected, message, seconds=30):
    """Waits for the page that a click led to (clicks do not wait for the next page)."""
    wait_for(lambda: expected in text(), seconds=seconds, message=message)


def go(path):
    driver.get(console + path)


def fill(field_id, value):
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(value)


def submit(selector="main form button[type=submit]"):
    driver.find_element(By.CSS_SELECTOR, selector).click()


def text():
    return driver.find_element(By.TAG_NAME, "main").text


def log_in(login, password, succeeds=True):
    driver.delete_all_cookies()
    go("/login")
    fill("login", login)
    fill("password", password)
    submit()
    if succeeds:
        wait_for(lambda: "/login" not in driver.current_url, message=login + " to be logged in")


def latest_mail_token(address, page="/verify-email"):
    """The token of the newest mail to `address` that links to `page` of the console."""
    for path in sorted(glob.glob(os.path.join(dev["mail_directory"], "*")), key=os.path.getmtime, reverse=True):
        content = open(path, errors="replace").read()
        if address in content:
            found = re.search(re.escape(page) + r"\?token=([A-Za-z0-9_-]+)", content)
            if found:
                return found.group(1)
    return None


def check_labels(page):
    """Every visible form control has an accessible name (a label, aria-label or aria-labelledby)."""
    unnamed = driver.execute_script("""
        return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
          .map(e => e.outerHTML.slice(0, 120));""")
    check(not unnamed, page + ": controls without a label: " + repr(unnamed))


def api_get(path):
    """The API as the signed-in browser user (the console's cookie holds the user's API session)."""
    token = next((c["value"] for c in driver.get_cookies() if c["name"] == "paastech_console"), "")
    request = urllib.request.Request(dev["api_url"] + "/v1" + path, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.read().decode()
    except Exception as error:
        return str(error)


def fetch(url, data=None, cookies=None):
    """A plain HTTP request (not the browser) to the edge on loopback, by name (glibc does not resolve
    *.localhost as browsers do): status and body."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection("127.0.0.1", parts.port or 80, timeout=20)
    headers = {"Host": parts.netloc}
    if cookies:
        headers["Cookie"] = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    if data is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request("POST" if data is not None else "GET", (parts.path or "/") + ("?" + parts.query if parts.query else ""),
                           body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    except OSError as error:
        return 0, str(error)
    finally:
        connection.close()


def app_body(url):
    status, body = fetch(url)
    return body if status == 200 else f"HTTP {status}"


options = webdriver.ChromeOptions()
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000", "--disable-dev-shm-usage"]:
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(60)
try:
    user, email, password = "carol", "carol@example.com", "a long enough password"

    step("a script-like user name is refused and rendered inert")
    go("/signup")
    fill("username", "<script>alert(1)</script>")
    fill("email", "mallory@example.com")
    fill("password", password)
    fill("password_again", password)
    submit()
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "p.problem"), message="the sign-up refusal")
    check(driver.find_element(By.ID, "username").get_attribute("value") == "<script>alert(1)</script>", "the name was not kept as text")
    scripts = driver.execute_script("return [...document.scripts].map(s => s.src || s.textContent)")
    check(len(scripts) == 1 and scripts[0].endswith("/static/console.js"), f"scripts in the page: {scripts}")
    try:
        driver.switch_to.alert
        check(False, "an alert ran")
    except NoAlertPresentException:
        pass

    step("sign up")
    go("/signup")
    shot("signup")
    check_labels("sign-up")
    fill("username", user)
    fill("email", email)
    fill("password", password)
    fill("password_again", password)
    submit()
    expect_text("Check your mail", "the sign-up page to say to check the mail")

    step("verify the address through the link in the mail file")
    token = latest_mail_token(email)
    check(token is not None, "no verification mail for " + email)
    go("/verify-email?token=" + token)
    submit()
    expect_text("Your address is verified", "the verification to succeed")

    step("log in")
    log_in(user, password)
    wait_for(lambda: driver.current_url.endswith("/projects"), message="the projects page after logging in")
    shot("projects-empty")
    session = driver.get_cookies()

    step("add an SSH key")
    key = os.path.join(work, "carol_key")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "carol@laptop", "-f", key], check=True)
    go("/account")
    fill("key", open(key + ".pub").read())
    submit("form[action='/account/keys'] button[type=submit]")
    expect_text("Key added: SHA256:", "the key to be added")
    shot("account")
    check_labels("account")

    step("create a project")
    go("/projects")
    fill("name", "webshop")
    submit("form[action='/projects'] button[type=submit]")
    wait_for(lambda: "Project created" in text(), message="the new project's page")
    lines = driver.find_element(By.ID, "git-lines").text.splitlines()
    remote = lines[0].split()[-1]
    check(remote.endswith("/carol/webshop.git"), "unexpected git remote " + remote)
    project_url = driver.current_url
    shot("project-new")

    step("push the example app with git")
    tree = os.path.join(work, "webshop")
    subprocess.run(["cp", "-r", example, tree], check=True)
    environment = dict(os.environ, HOME=work, GIT_AUTHOR_NAME="Carol", GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME="Carol",
                       GIT_COMMITTER_EMAIL=email, GIT_CONFIG_NOSYSTEM="1",
                       GIT_SSH_COMMAND=f"ssh -i {key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-qm", "first"],
                    ["git", "remote", "add", "paastech", remote]):
        subprocess.run(command, cwd=tree, env=environment, check=True)
    push = subprocess.run(["git", "push", "paastech", "main"], cwd=tree, env=environment, capture_output=True, text=True, timeout=300)
    check(push.returncode == 0, "git push failed:\n" + push.stdout + push.stderr)

    step("the deployment is listed, and its URL serves the app")
    driver.get(project_url)
    check("web" in text() and "live" in text() and "running" in text(), "the deployment is not shown as live and running")
    app_url = driver.find_element(By.CSS_SELECTOR, "main td a[href^='http']").get_attribute("href")
    shot("project-deployed")
    driver.get(app_url)
    check("hello from python" in driver.find_element(By.TAG_NAME, "body").text, "the app did not answer in the browser")
    driver.get(project_url)
    driver.find_element(By.LINK_TEXT, "web").click()
    deployment_url = driver.current_url
    shot("deployment")

    step("the deployment's state and instances; its logs, history and live")
    check(driver.find_element(By.ID, "state").text == "running", "the deployment is not shown as running")
    check(len(driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=instances-heading] tbody tr")) == 1, "no instance row")
    driver.find_element(By.LINK_TEXT, "Logs").click()
    wait_for(lambda: "GET / HTTP/1.1" in driver.find_element(By.ID, "log").text, message="the app's earlier request in the log history")
    time.sleep(1)  # the page's event stream is open
    fetch(app_url + "?live=1")
    wait_for(lambda: "GET /?live=1" in driver.find_element(By.ID, "log").text, seconds=15, message="a new request's line to appear live")
    shown = driver.find_element(By.ID, "log").text
    check(shown.count("routes now point at release v1") == 1, "the live stream repeated the history:\n" + shown)
    shot("logs")
    download = driver.find_element(By.LINK_TEXT, "Download").get_attribute("href")
    status, body = fetch(download, cookies=session)
    check(status == 200 and "GET /?live=1" in body, f"the downloaded log ({status}) lacks the request")

    step("the last hour's charts show the app's requests, latency and memory")
    driver.get(deployment_url)
    charts = {c.find_element(By.TAG_NAME, "strong").text: c.find_element(By.TAG_NAME, "svg")
              for c in driver.find_elements(By.CSS_SELECTOR, "figure.chart")}
    check(sorted(charts) == ["5xx errors", "CPU", "Latency", "Memory", "Requests"], f"charts: {sorted(charts)}")
    metrics = api_get("/deployments/" + deployment_url.rsplit("/", 1)[1] + "/metrics")
    check(re.search(r"peak [1-9]", charts["Requests"].get_attribute("aria-label")),
          "no requests charted: " + charts["Requests"].get_attribute("aria-label") + "\nthe API's metrics: " + metrics)
    check(int(charts["Latency"].get_attribute("data-points")) >= 1, "no latency charted")
    check(int(charts["Memory"].get_attribute("data-points")) >= 1 and "peak 0 " not in charts["Memory"].get_attribute("aria-label"),
          "no memory charted: " + charts["Memory"].get_attribute("aria-label"))
    shot("deployment-charts")
    check_labels("deployment")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    driver.refresh()
    shot("deployment-dark")
    background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    check(background == "rgb(21, 23, 26)", "dark mode did not apply: " + background)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    driver.find_element(By.LINK_TEXT, "Logs").click()
    wait_for(lambda: driver.find_elements(By.ID, "log"), message="the logs page again")
    time.sleep(1)  # its event stream is open

    step("a push's build output shows live on the logs page while the push runs")
    with open(os.path.join(tree, "paastech.toml"), "w") as manifest:
        manifest.write('[deployments.web]\nbuild = "for i in 1 2 3; do echo compiling step $i; sleep 1; done"\n')
    subprocess.run(["git", "add", "-A"], cwd=tree, env=environment, check=True)
    subprocess.run(["git", "commit", "-qm", "a build step"], cwd=tree, env=environment, check=True)
    pushing = subprocess.Popen(["git", "push", "paastech", "main"], cwd=tree, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    wait_for(lambda: "compiling step 1" in driver.find_element(By.ID, "log").text, seconds=60, message="the build's first line, live")
    check(pushing.poll() is None, "the push had already finished when its build output first showed")
    shot("logs-build-live")
    output, _ = pushing.communicate(timeout=300)
    check(pushing.returncode == 0, "the second push failed:\n" + output)
    wait_for(lambda: "compiling step 3" in driver.find_element(By.ID, "log").text, message="the build's last line")
    driver.get(deployment_url)

    step("set an environment variable: the app picks it up")
    names = driver.find_elements(By.NAME, "env_name")
    values = driver.find_elements(By.NAME, "env_value")
    names[-1].send_keys("GREETING")
    values[-1].send_keys("hi from the console")
    check(values[-1].get_attribute("type") == "password", "values are not hidden by default")
    driver.find_elements(By.CSS_SELECTOR, "button.reveal")[-1].click()
    check(values[-1].get_attribute("type") == "text", "Show does not reveal the value")
    submit("#config button[type=submit]")
    wait_for(lambda: "Saved and redeployed" in text(), seconds=180, message="the redeploy after saving")
    shot("deployment-redeployed")
    wait_for(lambda: app_body(app_url) == "hi from the console\n", message="the app to serve the new greeting")

    step("roll back to v1")
    driver.find_element(By.XPATH, "//button[normalize-space()='Roll back to v1']").click()
    wait_for(lambda: "Rolled back" in text(), seconds=180, message="the rollback")
    wait_for(lambda: app_body(app_url) == "hello from python\n", message="v1's greeting after the rollback")
    shot("deployment-rolled-back")

    step("restart: new instances replace the old ones")
    before = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=instances-heading] tbody td a").text
    driver.find_element(By.ID, "restart").click()
    expect_text("Restarted.", "the restart", seconds=180)
    # The old instance may still be listed, stopping, while its open connections end.
    rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=instances-heading] tbody tr")]
    running = [cells[0] for cells in rows if len(cells) > 2 and cells[2] == "running"]
    check(running and before not in running, f"running after a restart: {running}, before: {before}; rows {rows}")
    check(app_body(app_url) == "hello from python\n", "the app after the restart")

    step("output is escaped: a token named like a script renders inert")
    go("/account")
    fill("token-name", "<script>alert(1)</script>")
    submit("form[action='/account/tokens'] button[type=submit]")
    expect_text("Copy it now", "the token to be created")
    check("<script>alert(1)</script>" in text() and "&lt;script&gt;alert(1)&lt;/script&gt;" in driver.page_source, "the name is not escaped")
    try:
        driver.switch_to.alert
        check(False, "an alert ran")
    except NoAlertPresentException:
        pass

    step("a cross-site form post without the CSRF token is refused")
    status, _ = fetch(console + "/projects", data=b"name=evil", cookies=session)
    check(status == 403, f"a post without a CSRF token got {status}")
    status, body = fetch(console + "/projects", cookies=session)
    check(status == 200 and "evil" not in body, "the forged post created something")

    step("admin pages are 404 for a user")
    for path in ["/admin", "/admin/users", "/admin/projects", "/admin/audit"]:
        status, _ = fetch(console + path, cookies=session)
        check(status == 404, f"{path} answered {status} to a non-admin")
    # With a valid CSRF token, so that it is the admin check that answers.
    csrf = driver.find_element(By.NAME, "_csrf").get_attribute("value")
    for action in ["promote", "disable", "delete"]:
        form = urllib.parse.urlencode({"_csrf": csrf, "action": action, "username": "admin", "confirm": "admin"}).encode()
        status, _ = fetch(console + "/admin/users/1", data=form, cookies=session)
        check(status == 404, f"the admin action {action} answered {status} to a non-admin")
    check('"is_admin":false' in api_get("/me").replace(" ", ""), "the user became an administrator")

    step("pages are light")
    for path in ["/projects", "/account", deployment_url[len(console):]]:
        status, body = fetch(console + path, cookies=session)
        check(len(body.encode()) < 100_000, f"{path} weighs {len(body)} bytes")
    for asset in ["/static/console.css", "/static/console.js"]:
        status, body = fetch(console + asset)
        check(status == 200 and len(body.encode()) < 20_000, f"{asset}: {status}, {len(body)} bytes")

    step("delete the project with a typed confirmation")
    driver.get(project_url)
    button = driver.find_element(By.CSS_SELECTOR, "form.danger-zone button.danger")
    check(not button.is_enabled(), "the delete button is enabled before the name is typed")
    fill("confirm", "webshop")
    button.click()
    wait_for(lambda: driver.current_url.startswith(console + "/projects?deleted="), seconds=120, message="the project list after deleting")
    check("webshop" not in text(), "the project is still listed")
    wait_for(lambda: app_body(app_url).startswith("HTTP 404"), message="the app to be gone")
    shot("projects-after-delete")

    step("log out ends the session at the API")
    driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    wait_for(lambda: driver.current_url.startswith(console + "/login"), message="the login page after logging out")
    status, body = fetch(console + "/projects", cookies=session)
    check(status == 303 and "webshop" not in body, f"the old session cookie still works after logging out ({status})")

    step("a forgotten password is reset through the mailed link")
    go("/forgot-password")
    check_labels("forgotten password")
    fill("email", email)
    submit()
    expect_text("Check your mail", "the forgotten-password answer")
    token = latest_mail_token(email, "/reset-password")
    check(token is not None, "no password reset mail")
    go("/reset-password?token=" + token)
    password = "another long enough password"
    fill("password", password)
    fill("password_again", password)
    submit()
    expect_text("Your password is changed", "the password change")
    log_in(user, password)
    driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    wait_for(lambda: driver.current_url.startswith(console + "/login"), message="the login page after logging out")

    step("an administrator disables the user")
    admin = dev["admin"]
    log_in(admin["username"], admin["password"])
    go("/admin/users?search=carol")
    shot("admin-users")
    row = driver.find_element(By.XPATH, "//tr[td[normalize-space()='carol']]")
    row.find_element(By.XPATH, ".//button[@value='disable']").click()
    wait_for(lambda: "disabled" in driver.find_element(By.XPATH, "//tr[td[normalize-space()='carol']]").text, message="the user to show as disabled")
    go("/admin/platform")
    check(driver.find_element(By.ID, "platform-health").text == "all services healthy", "platform status:\n" + text())
    for service in ["api", "database", "pomegranate", "repo-manager", "edge", "gitd", "web"]:
        check(driver.find_elements(By.XPATH, f"//tr[td[1][normalize-space()='{service}']][td[2][normalize-space()='ok']]"),
              service + " is not shown as ok")
    shot("admin-platform")
    go("/admin/audit")
    check("admin.user_updated" in text(), "the audit log does not show the change")
    shot("admin-audit")

    step("the disabled user can no longer log in or push")
    log_in(user, password, succeeds=False)
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "p.problem"), message="the login page's refusal")
    check(driver.current_url.startswith(console + "/login") and driver.get_cookie("paastech_console") is None, "a disabled user logged in")
    shot("login-refused")
    refused = subprocess.run(["git", "push", remote, "main"], cwd=tree, env=environment, capture_output=True, text=True, timeout=120)
    check(refused.returncode != 0, "a disabled user could push")
    print("console story: all steps passed", flush=True)
finally:
    driver.quit()
