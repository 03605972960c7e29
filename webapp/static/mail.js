// The embedded mail sink's mails (GET /api/admin/mail), newest first. Mail text is never
// markup: everything is shown with textContent.
const statusLine = document.getElementById("status");
const list = document.getElementById("mails");

function field(name, value) {
  const line = document.createElement("div");
  const label = document.createElement("strong");
  label.textContent = `${name}: `;
  line.append(label, document.createTextNode(value));
  return line;
}

function mailItem(mail) {
  const item = document.createElement("li");
  item.className = "mail";
  const body = document.createElement("pre");
  body.textContent = mail.text;
  item.append(field("Received", new Date(mail.received_at * 1000).toLocaleString()),
              field("From", mail.from), field("To", mail.to), field("Subject", mail.subject),
              body);
  return item;
}

async function load() {
  statusLine.textContent = "loading";
  const reply = await fetch("/api/admin/mail", {credentials: "same-origin"});
  const data = await reply.json();
  if (!reply.ok) {
    statusLine.textContent = data.error;
    list.replaceChildren();
    return;
  }
  statusLine.textContent = `${data.count} mails kept; the newest ${data.mails.length} shown.`;
  list.replaceChildren(...data.mails.map(mailItem));
}

document.getElementById("refresh").addEventListener("click", load);
load();
