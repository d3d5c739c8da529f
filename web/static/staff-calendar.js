/* The staff calendar: one FullCalendar time grid per column (a practitioner's or a room's day,
   or one week), side by side on a shared time axis, over the events feed. Dragging a visit
   asks first (the server tries the move and says what it would do), then moves it and offers
   Undo for a few seconds. Clicking a free time in the day view offers a new booking. Every
   date and time shown is worded by the server in the clinic's locale, and every text from the
   server is set as text, never as HTML. Without this script the page keeps its list. */
(function () {
  "use strict";

  var board = document.getElementById("calendar");
  if (!board || !window.FullCalendar) return;
  var data = board.dataset;
  var words = JSON.parse(data.options);
  var message = document.getElementById("calendar-message");
  var messageText = message.querySelector(".cal-message-text");
  var panel = document.getElementById("visit-panel");
  var dialog = document.getElementById("move-dialog");
  var fallback = document.getElementById("calendar-fallback");
  var UNDO_SECONDS = 10;
  var calendars = [];
  var pending = null;
  var dragFrom = null;
  var undoTimer = null;

  var ACTION_LABELS = {
    "arrived": "Arrived",
    "completed": "Completed",
    "no-show": "No-show",
    "confirm-review": "Confirm review",
    "move": "Move…",
    "cancel": "Cancel visit"
  };

  function node(tag, className, text) {
    var made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined && text !== null) made.textContent = String(text);
    return made;
  }

  function dropUndo() {
    if (undoTimer) window.clearTimeout(undoTimer);
    undoTimer = null;
    var old = message.querySelector(".cal-undo");
    if (old) old.remove();
  }

  function say(text, kind, undo) {
    dropUndo();
    messageText.textContent = text;
    message.className = "flash " + kind;
    message.hidden = false;
    if (!undo) return;
    var button = node("button", "secondary cal-undo", "Undo");
    button.type = "button";
    button.addEventListener("click", function () { dropUndo(); undo(); });
    message.appendChild(button);
    undoTimer = window.setTimeout(dropUndo, UNDO_SECONDS * 1000);
  }

  // With a named time zone and no time zone plugin, FullCalendar's dates carry the clinic's
  // wall-clock time in their UTC fields: this is that time, without an offset.
  function wallTime(date) {
    return date.toISOString().slice(0, 19);
  }

  function slotWords(date) {
    var hhmm = wallTime(date).slice(11, 16);
    return words.slots[hhmm] || hhmm;
  }

  function hidden(name, value) {
    var input = node("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  function actionForm(visitId, action, label) {
    var form = node("form", "inline-form");
    form.method = "post";
    form.action = data.visitBase + visitId + "/" + action;
    form.appendChild(hidden("csrf_token", data.csrf));
    form.appendChild(hidden("next", data.next));
    var button = node("button", "cal-button" + (action === "cancel" ? " danger" : ""), label);
    button.type = "submit";
    form.appendChild(button);
    return form;
  }

  function row(list, term, value) {
    list.appendChild(node("dt", null, term));
    list.appendChild(node("dd", null, value));
  }

  function openPanel(heading, parts) {
    panel.replaceChildren();
    heading.tabIndex = -1;
    panel.appendChild(heading);
    parts.forEach(function (part) { panel.appendChild(part); });
    var close = node("button", "link", "Close");
    close.type = "button";
    close.addEventListener("click", function () { panel.hidden = true; });
    panel.appendChild(close);
    panel.hidden = false;
    heading.focus();
  }

  function showVisit(event) {
    var props = event.extendedProps;
    var heading = node("h2");
    var record = node("a", null, event.title);
    record.href = data.patientBase + props.patient_id;
    heading.appendChild(record);
    var facts = node("dl", "cal-facts");
    row(facts, "When", props.when);
    row(facts, "Service", props.service);
    row(facts, "Practitioner", props.practitioner);
    row(facts, "Room", props.room || "–");
    row(facts, "Status", props.status_label);
    var actions = node("div", "cal-actions");
    props.actions.forEach(function (action) {
      if (action === "move") {
        var link = node("a", "cal-move", ACTION_LABELS.move);
        link.href = data.visitBase + event.id + "/move?next=" + encodeURIComponent(data.next);
        actions.appendChild(link);
      } else {
        actions.appendChild(actionForm(event.id, action, ACTION_LABELS[action] || action));
      }
    });
    if (!props.actions.length) actions.appendChild(node("p", "note", "Nothing to do for this visit now."));
    openPanel(heading, [facts, actions]);
  }

  function showFreeTime(date, column) {
    var when = wallTime(date);
    var text = (words.days[when.slice(0, 10)] || when.slice(0, 10)) + ", " + slotWords(date);
    if (column.label) text += " · " + column.label;
    var link = node("a", "button cal-new-booking", "New booking");
    var query = "?start=" + encodeURIComponent(when.slice(0, 16));
    if (column.practitionerId && column.takesDrops) query += "&practitioner_id=" + encodeURIComponent(column.practitionerId);
    link.href = data.newBooking + query;
    openPanel(node("h2", null, "Free time"), [node("p", null, text), link]);
  }

  function content(arg, column) {
    var props = arg.event.extendedProps;
    var box = node("div", "cal-event");
    box.appendChild(node("span", "cal-time", props.time));
    box.appendChild(node("strong", "cal-name", arg.event.title));
    var room = props.room && !column.roomId ? " · " + props.room : "";
    box.appendChild(node("span", "cal-where", props.service + room));
    if (!column.practitionerId) box.appendChild(node("span", "cal-who", props.practitioner));
    box.appendChild(node("span", "cal-state", props.status_label));
    return { domNodes: [box] };
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": data.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(
        function (answer) { return { ok: response.ok, body: answer }; },
        function () {
          return { ok: false, body: { message: "The move was not saved (" + response.status + "). Reload the page." } };
        }
      );
    }, function () {
      return { ok: false, body: { message: "The move was not saved: the server did not answer. Try again." } };
    });
  }

  function refetchAll() {
    calendars.forEach(function (calendar) { calendar.refetchEvents(); });
  }

  function warned(text, warnings) {
    return (warnings || []).length ? text + " " + warnings.join(" ") : text;
  }

  function ask(preview, confirm, keep) {
    dialog.querySelector(".move-question").textContent = preview.question;
    dialog.querySelector(".move-texts").textContent = preview.texts;
    var list = dialog.querySelector(".move-warnings");
    list.replaceChildren();
    (preview.warnings || []).forEach(function (warning) { list.appendChild(node("li", null, warning)); });
    list.hidden = !list.children.length;
    pending = { confirm: confirm, keep: keep };
    dialog.showModal();
    dialog.querySelector(".move-confirm").focus();
  }

  function answerDialog(confirmed) {
    var chosen = pending;
    pending = null;
    if (dialog.open) dialog.close();
    if (chosen) (confirmed ? chosen.confirm : chosen.keep)();
  }

  dialog.querySelector(".move-confirm").addEventListener("click", function () { answerDialog(true); });
  dialog.querySelector(".move-keep").addEventListener("click", function () { answerDialog(false); });
  dialog.addEventListener("cancel", function (e) { e.preventDefault(); answerDialog(false); });

  function moveBack(visitId, back) {
    post(data.moveBase + visitId + "/move", back).then(function (result) {
      refetchAll();
      if (result.ok) {
        say("Undone. " + result.body.message + " If the text about the other time has not gone yet, it is cancelled.", "ok");
      } else {
        say("The visit could not be moved back: " + (result.body.message || "try again."), "error");
      }
    });
  }

  function move(visitId, wanted, back, keep, done) {
    post(data.moveBase + visitId + "/move-preview", wanted).then(function (preview) {
      if (!preview.ok) {
        keep();
        say(preview.body.message || "The move was not saved.", "error");
        return;
      }
      ask(preview.body, function () {
        post(data.moveBase + visitId + "/move", wanted).then(function (result) {
          (result.ok ? done : keep)();
          refetchAll();
          if (!result.ok) return say(result.body.message || "The move was not saved.", "error");
          say(warned(result.body.message, result.body.warnings), "ok", function () { moveBack(visitId, back); });
        });
      }, keep);
    });
  }

  function wantedFor(column, start, props) {
    var wanted = { start: wallTime(start) };
    if (column.practitionerId) wanted.practitioner_id = Number(column.practitionerId);
    if (column.roomId) wanted.room_id = Number(column.roomId);
    if (!wanted.practitioner_id && props.practitioner_id) wanted.practitioner_id = props.practitioner_id;
    return wanted;
  }

  function backFor(props) {
    var back = { start: dragFrom, practitioner_id: props.practitioner_id };
    if (props.room_id) back.room_id = props.room_id;
    return back;
  }

  function makeCalendar(section, index) {
    var column = {
      practitionerId: section.dataset.practitionerId,
      roomId: section.dataset.roomId,
      noRoom: section.dataset.noRoom === "1",
      takesDrops: section.dataset.takesDrops === "1",
      label: section.getAttribute("aria-label") || ""
    };
    var extra = {};
    if (column.practitionerId) extra.practitioner_id = column.practitionerId;
    if (column.roomId) extra.room_id = column.roomId;
    if (column.noRoom) extra.no_room = "1";
    if (data.cancelled) extra.cancelled = "1";
    var isDay = data.view === "timeGridDay";
    var calendar = new FullCalendar.Calendar(section.querySelector(".cal-fc"), {
      timeZone: data.zone,
      now: data.now,
      locale: words.locale,
      firstDay: words.firstDay,
      initialView: data.view,
      initialDate: data.date,
      headerToolbar: false,
      dayHeaders: !isDay,
      dayHeaderContent: function (arg) { return words.days[wallTime(arg.date).slice(0, 10)] || arg.text; },
      slotLabelContent: function (arg) { return index === 0 ? slotWords(arg.date) : ""; },
      allDaySlot: false,
      slotMinTime: "07:00:00",
      slotMaxTime: "20:00:00",
      slotDuration: "00:15:00",
      snapDuration: "00:15:00",
      slotLabelInterval: "01:00",
      slotEventOverlap: false,
      height: "auto",
      nowIndicator: true,
      editable: true, // each visit says whether it may move (startEditable from the feed)
      // A visit may be dropped here from another column, except on a column of visits that
      // take no room or of a practitioner or room no longer active.
      droppable: column.takesDrops,
      eventDurationEditable: false,
      events: {
        url: data.eventsUrl,
        extraParams: extra,
        failure: function () { say("The visits could not be loaded. Reload the page.", "error"); }
      },
      eventContent: function (arg) { return content(arg, column); },
      eventDidMount: function (info) {
        info.el.setAttribute("data-visit-id", info.event.id);
        info.el.setAttribute("title", info.event.title + ", " + info.event.extendedProps.time + ", " + info.event.extendedProps.status_label);
      },
      eventClick: function (info) {
        info.jsEvent.preventDefault();
        showVisit(info.event);
      },
      dateClick: function (info) { if (isDay && data.newBooking) showFreeTime(info.date, column); },
      eventDragStart: function (info) { dragFrom = wallTime(info.event.start); },
      eventDrop: function (info) {
        var props = info.event.extendedProps;
        move(info.event.id, wantedFor(column, info.event.start, props), backFor(props), info.revert, function () {});
      },
      eventReceive: function (info) {
        var props = info.event.extendedProps;
        var wanted = wantedFor(column, info.event.start, props);
        var drop = function () { info.event.remove(); };
        move(info.event.id, wanted, backFor(props), function () { drop(); refetchAll(); }, drop);
      }
    });
    calendar.render();
    calendars.push(calendar);
  }

  Array.prototype.forEach.call(board.querySelectorAll(".cal-column"), makeCalendar);
  board.classList.add("cal-ready");
  if (fallback) fallback.hidden = true;
})();
