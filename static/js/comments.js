/* Comments: reply inline, post without reloading, load more threads, like and flag in place.
   Enhancement only: every action is a link or a form that works without this script. */
(function () {
  "use strict";

  var section = document.querySelector("[data-comments]");
  if (!section || !window.fetch || !window.FormData) {
    return;
  }
  var form = section.querySelector("[data-comment-form]");
  var home = section.querySelector("[data-form-home]");
  var list = section.querySelector("[data-comment-list]");

  function say(message, isError) {
    var status = form.querySelector("[data-comment-status]");
    status.textContent = message;
    status.classList.toggle("comments__status--error", Boolean(isError));
  }

  function openReply(link) {
    var item = link.closest("li.comment");
    var replies = item.querySelector(":scope > ol");
    var author = item.querySelector(".comment__author");
    form.querySelector("[name=reply_to]").value = item.id.slice(1);
    form.querySelector("[data-form-title]").textContent =
      "Reply to " + author.textContent.trim();
    form.querySelector("[data-cancel-reply]").hidden = false;
    say("");
    item.insertBefore(form, replies);
    form.querySelector("textarea").focus();
  }

  function closeReply(returnFocusTo) {
    form.querySelector("[name=reply_to]").value = "0";
    form.querySelector("[data-form-title]").textContent = "Join the discussion";
    form.querySelector("[data-cancel-reply]").hidden = true;
    home.appendChild(form);
    if (returnFocusTo) {
      returnFocusTo.focus();
    }
  }

  function describeErrors(data) {
    var lines = [data.message || "Your comment could not be posted."];
    Object.keys(data.errors || {}).forEach(function (name) {
      var field = form.querySelector("[name=" + name + "]");
      var label = field && field.labels && field.labels[0];
      lines.push((label ? label.textContent + ": " : "") + data.errors[name].join(" "));
    });
    return lines.join(" ");
  }

  function insertComment(data) {
    var template = document.createElement("template");
    template.innerHTML = data.html.trim();
    var item = template.content.firstElementChild;
    var parent = data.parent ? document.getElementById("c" + data.parent) : null;
    if (parent) {
      var replies = parent.querySelector(":scope > ol");
      if (!replies) {
        replies = document.createElement("ol");
        replies.className = "comment-list comment-list--replies";
        parent.appendChild(replies);
      }
      replies.appendChild(item);
    } else {
      list.appendChild(item);
    }
  }

  section.addEventListener("click", function (event) {
    var reply = event.target.closest("[data-reply]");
    if (reply && form) {
      event.preventDefault();
      openReply(reply);
      return;
    }
    var cancel = event.target.closest("[data-cancel-reply]");
    if (cancel) {
      var id = form.querySelector("[name=reply_to]").value;
      var link = document.querySelector("#c" + id + " [data-reply]");
      closeReply(link);
      return;
    }
    var more = event.target.closest("[data-load-more]");
    if (more) {
      event.preventDefault();
      loadMore(more);
      return;
    }
    var flagLink = event.target.closest("[data-flag]");
    if (flagLink && flagDialog && flagDialog.showModal) {
      event.preventDefault();
      openFlag(flagLink);
    }
  });

  // Like, dislike and flag answer in JSON (the server's `wants_json`): the page stays put.
  var announcer = section.querySelector("[data-comments-announce]");

  function announce(message) {
    if (announcer) {
      announcer.textContent = message;
    }
  }

  function postForm(target, action) {
    return fetch(action, {
      method: "POST",
      body: new FormData(target),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().catch(function () {
        return { ok: false, message: "Something went wrong. Please try again." };
      });
    });
  }

  function showReactions(actions, data) {
    ["like", "dislike"].forEach(function (verb) {
      var button = actions.querySelector("[data-feedback=" + verb + "] button");
      if (!button) {
        return;
      }
      button.setAttribute("aria-pressed", String(Boolean(data[verb + "d"])));
      button.querySelector(".comment__count").textContent = String(data[verb + "s"]);
    });
  }

  section.addEventListener("submit", function (event) {
    var reaction = event.target.closest("[data-feedback]");
    if (!reaction) {
      return;
    }
    event.preventDefault();
    var button = reaction.querySelector("button");
    button.disabled = true;
    postForm(reaction, reaction.action)
      .then(function (data) {
        if (data.ok) {
          showReactions(reaction.closest(".comment__actions"), data);
        }
        announce(data.message || "");
      })
      .catch(function () {
        reaction.submit();
      })
      .then(function () {
        button.disabled = false;
        button.focus();
      });
  });

  var flagDialog = section.querySelector("[data-flag-dialog]");
  var flagOpener = null;

  function openFlag(link) {
    var flagForm = flagDialog.querySelector("[data-flag-form]");
    var author = link.closest(".comment__card").querySelector(".comment__author");
    flagForm.reset();
    flagForm.action = link.href;
    flagDialog.querySelector("[data-flag-status]").textContent = "";
    flagDialog.querySelector("[data-flag-title]").textContent =
      "Flag the comment by " + author.textContent.trim() + "?";
    flagOpener = link;
    flagDialog.showModal();
    flagForm.querySelector("input[type=radio]").focus();
  }

  if (flagDialog) {
    flagDialog.addEventListener("close", function () {
      if (flagOpener && flagOpener.isConnected) {
        flagOpener.focus();
      }
    });
    flagDialog.querySelector("[data-flag-cancel]").addEventListener("click", function () {
      flagDialog.close();
    });
    flagDialog.querySelector("[data-flag-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      var flagForm = event.target;
      var status = flagDialog.querySelector("[data-flag-status]");
      var link = flagOpener;
      postForm(flagForm, flagForm.action)
        .then(function (data) {
          if (!data.ok) {
            status.textContent = data.message || "The comment could not be flagged.";
            return;
          }
          var done = document.createElement("span");
          done.className = "comment__flagged";
          done.textContent = "Flagged";
          done.tabIndex = -1;
          link.replaceWith(done);
          flagOpener = done;
          flagDialog.close();
          announce(data.message);
        })
        .catch(function () {
          status.textContent = "The comment could not be flagged. Check your connection.";
        });
    });
  }

  function loadMore(link) {
    var url = link.getAttribute("data-fragment");
    link.setAttribute("aria-busy", "true");
    fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.statusText);
        }
        var next = response.headers.get("X-Next-Page");
        return response.text().then(function (html) {
          var count = list.children.length;
          list.insertAdjacentHTML("beforeend", html);
          var first = list.children[count];
          if (first) {
            first.setAttribute("tabindex", "-1");
            first.focus();
          }
          if (next) {
            link.setAttribute("data-fragment", url.replace(/page=\d+/, "page=" + next));
            link.href = link.href.replace(/cpage=\d+/, "cpage=" + next);
            link.removeAttribute("aria-busy");
          } else {
            link.parentNode.remove();
          }
        });
      })
      .catch(function () {
        window.location.href = link.href;
      });
  }

  if (!form) {
    return;
  }

  // The page (and its form) is cached for every visitor: this visitor's single-use stamp is
  // fetched when they start writing, so the server can tell how long they took.
  var stamp = form.querySelector("[name=stamp]");
  var stampedAt = 0;

  function fetchStamp() {
    var body = new FormData();
    body.append("content_type", form.querySelector("[name=content_type]").value);
    body.append("object_pk", form.querySelector("[name=object_pk]").value);
    stampedAt = Date.now();
    fetch(stamp.getAttribute("data-stamp-url"), {
      method: "POST",
      body: body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.json() : {};
      })
      .then(function (data) {
        if (data.stamp) {
          stamp.value = data.stamp;
        }
      })
      .catch(function () {
        stampedAt = 0;
      });
  }

  form.addEventListener("focusin", function () {
    // A stamp lives an hour; an empty one is asked for again at most every 5 seconds.
    if (Date.now() - stampedAt > (stamp.value ? 50 * 60 * 1000 : 5000)) {
      fetchStamp();
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say("Sending your comment…");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { ok: false, message: "Something went wrong. Please try again." };
        });
      })
      .then(function (data) {
        // A sent stamp is spent; a refusal may bring a fresh one.
        stamp.value = data.stamp || "";
        stampedAt = data.stamp ? Date.now() : 0;
        if (!data.ok) {
          say(describeErrors(data), true);
          return;
        }
        form.querySelector("textarea").value = "";
        if (data.html) {
          insertComment(data);
        }
        var wasReply = form.querySelector("[name=reply_to]").value !== "0";
        if (wasReply) {
          closeReply(null);
          // Back under the thread, maybe inside the folded "Join the discussion": unfold it,
          // or the answer below would be hidden.
          var fold = home.closest("details");
          if (fold) {
            fold.open = true;
          }
        }
        say(data.message);
      })
      .catch(function () {
        say("Your comment could not be sent. Check your connection and try again.", true);
      })
      .then(function () {
        button.disabled = false;
      });
  });
})();
