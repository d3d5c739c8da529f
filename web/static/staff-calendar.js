/* The staff calendar: FullCalendar over the events feed; drag a visit to move it, click it for
   what can be done. Every text from the server is set as text, never as HTML. Without this
   script the page keeps its server-rendered list, which does the same with plain forms. */
(function () {
  "use strict";

  var el = document.getElementById("calendar");
  if (!el || !window.FullCalendar) return;
  var data = el.dataset;
  var message = document.getElementById("calendar-message");
  var panel = document.getElementById("visit-panel");
  var fallback = document.getElementById("calendar-fallback");

  var ACTION_LABELS = {
    "arrived": "Arrived",
    "completed": "Completed",
    "no-show": "No-show",
    "confirm-review": "Confirm review",
    "move": "Move…",
    "cancel": "Cancel visit"
  };

  function say(text, kind) {
    message.textContent = text;
    message.className = "flash " + kind;
    message.hidden = false;
  }

  // With a named time zone and no time zone plugin, FullCalendar's dates carry the clinic's
  // wall-clock time in their UTC fields: this is that time, without an offset.
  function wallTime(date) {
    return date.toISOString().slice(0, 19);
  }

  function clock(date) {
    return wallTime(date).slice(11, 16);
  }

  function node(tag, className, text) {
    var made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined && text !== null) made.textContent = String(text);
    return made;
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

  function showPanel(event) {
    var props = event.extendedProps;
    panel.replaceChildren();
    var heading = node("h2", null, event.title);
    heading.tabIndex = -1;
    panel.appendChild(heading);
    var facts = node("dl", "cal-facts");
    row(facts, "When", wallTime(event.start).slice(0, 10) + " " + clock(event.start) + "–" + clock(event.end));
    row(facts, "Service", props.service);
    row(facts, "Practitioner", props.practitioner);
    row(facts, "Room", props.room || "–");
    row(facts, "Status", props.status_label);
    panel.appendChild(facts);
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
    panel.appendChild(actions);
    var close = node("button", "link", "Close");
    close.type = "button";
    close.addEventListener("click", function () { panel.hidden = true; });
    panel.appendChild(close);
    panel.hidden = false;
    heading.focus();
  }

  function content(arg) {
    var props = arg.event.extendedProps;
    var box = node("div", "cal-event");
    box.appendChild(node("span", "cal-time", clock(arg.event.start)));
    box.appendChild(node("strong", "cal-name", arg.event.title));
    var where = props.service + (props.room ? " · " + props.room : "");
    if (!data.practitionerId) where += " · " + props.practitioner;
    box.appendChild(node("span", "cal-where", where));
    box.appendChild(node("span", "cal-state", props.status_label));
    return { domNodes: [box] };
  }

  function answer(response) {
    return response.json().then(
      function (body) { return { ok: response.ok, body: body }; },
      function () {
        return { ok: false, body: { message: "The move was not saved (" + response.status + "). Reload the page." } };
      }
    );
  }

  var calendar;

  function move(info) {
    var body = { start: wallTime(info.event.start) };
    if (data.roomId) body.room_id = Number(data.roomId);
    fetch(data.moveBase + info.event.id + "/move", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": data.csrf },
      body: JSON.stringify(body)
    }).then(answer).then(function (result) {
      if (result.ok) {
        say(result.body.message, "ok");
        calendar.refetchEvents();
      } else {
        info.revert();
        say(result.body.message || "The move was not saved.", "error");
      }
    }).catch(function () {
      info.revert();
      say("The move was not saved: the server did not answer. Try again.", "error");
    });
  }

  var extra = {};
  if (data.practitionerId) extra.practitioner_id = data.practitionerId;
  if (data.roomId) extra.room_id = data.roomId;
  if (data.cancelled) extra.cancelled = "1";

  calendar = new FullCalendar.Calendar(el, {
    timeZone: data.zone,
    now: data.now,
    initialView: data.view,
    initialDate: data.date,
    firstDay: 1,
    allDaySlot: false,
    slotMinTime: "07:00:00",
    slotMaxTime: "20:00:00",
    scrollTime: "08:00:00",
    slotDuration: "00:15:00",
    snapDuration: "00:15:00",
    slotLabelInterval: "01:00",
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    dayHeaderFormat: { weekday: "short", day: "numeric", month: "short", omitCommas: true },
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    height: "auto",
    nowIndicator: true,
    editable: false,
    eventDurationEditable: false,
    headerToolbar: { left: "prev,next today", center: "title", right: "timeGridDay,timeGridWeek" },
    buttonText: { today: "Today", day: "Day", week: "Week" },
    events: {
      url: data.eventsUrl,
      extraParams: extra,
      failure: function () { say("The visits could not be loaded. Reload the page.", "error"); }
    },
    eventContent: content,
    eventDidMount: function (info) {
      info.el.setAttribute("data-visit-id", info.event.id);
      info.el.setAttribute("title", info.event.title + ", " + clock(info.event.start) + ", " + info.event.extendedProps.status_label);
    },
    eventClick: function (info) {
      info.jsEvent.preventDefault();
      showPanel(info.event);
    },
    eventDrop: move
  });
  calendar.render();
  el.classList.add("cal-ready");
  if (fallback) fallback.hidden = true;
})();
