// The writing desk in the admin's post editor: live preview, word count, autosave into
// revisions, image drop and paste, Markdown shortcuts, and warnings before text is lost or a
// published address changes. Without JavaScript the form saves as usual and the preview pane
// shows the saved text. The endpoints are in blog/desk.py.
(function () {
  "use strict";
  const desk = document.querySelector(".desk[data-preview-url]");
  if (!desk) return;
  const form = desk.closest("form");
  const title = form.querySelector("#id_title");
  const standfirst = form.querySelector("#id_standfirst");
  const body = form.querySelector("#id_body");
  const slug = form.querySelector("#id_slug[data-published-slug]");
  const csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  const frame = desk.querySelector(".desk__frame");
  if (!title || !body || !csrfInput) return;

  const PREVIEW_DELAY = 350;
  const AUTOSAVE_DELAY = 3000;
  const field = (name) => desk.querySelector(`[data-desk="${name}"]`);
  const snapshot = () => JSON.stringify([title.value, standfirst ? standfirst.value : "", body.value]);
  const loaded = snapshot();
  let leaving = false;

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfInput.value, Accept: "application/json" },
    });
  }

  // On a post not saved yet: the revision this page autosaves into, sent with the form so
  // the saved post keeps it.
  const revisionHolder = desk.querySelector("[data-desk=revision]");

  function textData() {
    const data = new FormData();
    if (revisionHolder) data.set("revision", revisionHolder.value);
    data.set("title", title.value);
    data.set("standfirst", standfirst ? standfirst.value : "");
    data.set("body", body.value);
    return data;
  }

  function showError(message) {
    const box = field("error");
    box.textContent = message;
    box.hidden = !message;
  }

  function setStatus(message) {
    field("status").textContent = message;
  }

  async function errorMessage(response, fallback) {
    try {
      const answer = await response.json();
      if (answer.errors && answer.errors.length) return answer.errors.join(" ");
      if (answer.error) return answer.error;
    } catch (error) {
      // Not JSON: the fallback says enough.
    }
    return fallback;
  }

  // Live preview and word count

  let previewTimer = null;
  let previewRequest = 0;

  function inFrame(name) {
    const doc = frame && frame.contentDocument;
    return doc ? doc.querySelector(`[data-desk="${name}"]`) : null;
  }

  async function refreshPreview() {
    const request = ++previewRequest;
    let answer;
    try {
      const response = await post(desk.dataset.previewUrl, textData());
      if (!response.ok) return;
      answer = await response.json();
    } catch (error) {
      return; // Offline for a moment: the next keystroke tries again.
    }
    if (request !== previewRequest) return; // A newer preview is on its way.
    field("words").textContent = `${answer.words} ${answer.words === 1 ? "word" : "words"}`;
    field("minutes").textContent = `${answer.reading_minutes} min read`;
    const frameBody = inFrame("body");
    if (frameBody) {
      frameBody.innerHTML = answer.html; // Rendered and cleaned by the server (core.markup).
      inFrame("title").textContent = title.value || "Untitled";
      const frameStandfirst = inFrame("standfirst");
      frameStandfirst.textContent = standfirst ? standfirst.value : "";
      frameStandfirst.hidden = !frameStandfirst.textContent;
    }
    desk.dataset.previewed = String(request);
  }

  function schedulePreview() {
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(refreshPreview, PREVIEW_DELAY);
  }

  // Autosave into revisions (never into the post itself)

  const autosaveUrl = desk.dataset.autosaveUrl;
  let autosaveTimer = null;
  let autosaving = null;
  let lastAutosaved = loaded;

  async function autosave() {
    autosaveTimer = null;
    if (!autosaveUrl || snapshot() === lastAutosaved) return;
    const sent = snapshot();
    try {
      const response = await post(autosaveUrl, textData());
      if (!response.ok) {
        setStatus(await errorMessage(response, "Autosave failed; your text is still here. Save the post to keep it."));
        return;
      }
      const answer = await response.json();
      lastAutosaved = sent;
      if (answer.saved) setStatus(answer.label);
      if (answer.saved && revisionHolder) revisionHolder.value = String(answer.revision);
    } catch (error) {
      setStatus("Autosave failed (offline?); your text is still here and it will try again.");
    }
    if (snapshot() !== lastAutosaved) scheduleAutosave();
  }

  function scheduleAutosave() {
    // Not reset by each keystroke: a writer who never pauses still gets a revision every few seconds.
    if (autosaveUrl && autosaveTimer === null) autosaveTimer = window.setTimeout(() => (autosaving = autosave()), AUTOSAVE_DELAY);
  }

  async function autosaveNow() {
    if (!autosaveUrl) return;
    window.clearTimeout(autosaveTimer);
    autosaveTimer = null;
    if (autosaving) await autosaving;
    await autosave();
  }

  function changed() {
    schedulePreview();
    scheduleAutosave();
  }

  for (const input of [title, standfirst, body]) {
    if (input) input.addEventListener("input", changed);
  }
  if (frame) frame.addEventListener("load", refreshPreview);
  if (frame && frame.contentDocument && frame.contentDocument.readyState === "complete") refreshPreview();

  // Leaving with unsaved text, and changing a published post's address

  window.addEventListener("beforeunload", (event) => {
    if (leaving) return;
    if (snapshot() !== loaded || desk.dataset.unsaved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  form.addEventListener("submit", (event) => {
    if (slug && slug.value !== slug.dataset.publishedSlug) {
      const sure = window.confirm(
        `This post is published at “${slug.dataset.publishedSlug}”. Change its address to “${slug.value}”?\n\n` +
          "Links already sent (emails, social posts) will redirect to the new address.",
      );
      if (!sure) {
        event.preventDefault();
        return;
      }
    }
    leaving = true;
  });

  // Restore buttons below the form: keep the editor's text as a revision first.
  for (const restore of document.querySelectorAll(".desk-revisions__restore")) {
    restore.addEventListener("submit", async (event) => {
      event.preventDefault();
      await autosaveNow();
      leaving = true;
      // submit() sends the form without another submit event (this one is still being fired).
      window.setTimeout(() => restore.submit(), 0);
    });
  }

  // Inserting text where the caret is (kept in the browser's undo history where possible)

  function insert(text, selectFrom, selectTo) {
    body.focus();
    const start = body.selectionStart;
    if (!document.execCommand || !document.execCommand("insertText", false, text)) {
      body.setRangeText(text, start, body.selectionEnd, "end");
    }
    if (selectFrom !== undefined) body.setSelectionRange(start + selectFrom, start + selectTo);
    changed();
  }

  function wrap(before, after, placeholder) {
    const selected = body.value.slice(body.selectionStart, body.selectionEnd) || placeholder;
    insert(before + selected + after, before.length, before.length + selected.length);
  }

  body.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    const key = event.key.toLowerCase();
    if (key === "b") wrap("**", "**", "bold text");
    else if (key === "i") wrap("_", "_", "italic text");
    else if (key === "k") {
      const selected = body.value.slice(body.selectionStart, body.selectionEnd) || "link text";
      const text = `[${selected}](https://)`;
      insert(text, selected.length + 3, text.length - 1);
    } else return;
    event.preventDefault();
  });

  // Images dropped or pasted into the text

  const uploadUrl = desk.dataset.uploadUrl;

  function altFromName(name) {
    const words = name.replace(/\.[^.]*$/, "").replace(/[-_.]+/g, " ").replace(/[\[\]\\]/g, "").trim();
    return words || "Image";
  }

  async function upload(file) {
    const alt = altFromName(file.name);
    const marker = `![Uploading ${alt}…]()`;
    insert(marker);
    const data = new FormData();
    data.set("file", file, file.name);
    data.set("alt_text", alt);
    let message = `${file.name} was not added: the upload failed. Your text is unchanged; try again.`;
    try {
      const response = await post(uploadUrl, data);
      if (response.ok) {
        const answer = await response.json();
        const at = body.value.indexOf(marker);
        if (at >= 0) {
          body.setSelectionRange(at, at + marker.length);
          insert(answer.snippet, 2, answer.snippet.indexOf("]("));
        } else {
          insert(answer.snippet);
        }
        showError("");
        setStatus(`Added ${file.name}. Describe it in the [brackets] for readers who cannot see it.`);
        return;
      }
      message = `${file.name} was not added: ${await errorMessage(response, "the server refused it.")}`;
    } catch (error) {
      // Keep the generic message.
    }
    const at = body.value.indexOf(marker);
    if (at >= 0) {
      body.setSelectionRange(at, at + marker.length);
      insert("");
    }
    showError(message);
  }

  // Every file goes to the server, which names the problem with one that is not an image.
  const imageFiles = (transfer) => (transfer ? Array.from(transfer.files || []) : []);

  function handleFiles(event, transfer) {
    const files = imageFiles(transfer);
    if (!files.length) return;
    event.preventDefault();
    if (!uploadUrl) {
      showError("Save the post once (Save and continue editing) to drop images into the text, or add them under Images below.");
      return;
    }
    files.reduce((previous, file) => previous.then(() => upload(file)), Promise.resolve());
  }

  body.addEventListener("dragover", (event) => {
    if (event.dataTransfer && Array.from(event.dataTransfer.types || []).includes("Files")) {
      event.preventDefault();
      body.classList.add("is-dropping");
    }
  });
  body.addEventListener("dragleave", () => body.classList.remove("is-dropping"));
  body.addEventListener("drop", (event) => {
    body.classList.remove("is-dropping");
    handleFiles(event, event.dataTransfer);
  });
  body.addEventListener("paste", (event) => handleFiles(event, event.clipboardData));
})();
