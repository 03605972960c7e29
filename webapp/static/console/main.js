// The agents' console: sign in, watch the queue live, claim a conversation, read its whole
// story and talk to the customer through the bot.
//
// Plain DOM code with no dependencies, in ES modules by concern (this directory), because the
// page is served with `Content-Security-Policy: default-src 'self'`. Every piece of text that
// comes from a customer, an agent or the API goes in with textContent, never as HTML.
//
// This entry only wires the page's controls to the modules and starts the session.

import { $ } from "./dom.js";
import { state } from "./state.js";
import { act, api, hideError } from "./api.js";
import { changePresence, showLogin, signIn, signOut, startSession } from "./session.js";
import { claimConversation } from "./queue.js";
import { closeConversation } from "./conversation.js";
import { hideTransfer, release, showTransfer, transfer } from "./transfer.js";
import { sendReply, signalTyping, updateCount } from "./reply.js";
import { adminAct, closeTeamAdmin, createAccount, openTeamAdmin } from "./team.js";
import { onVisibilityChange, toggleDesktop, toggleSound, wakeAudio } from "./alerts.js";
import { closeCase, forgetCaseConversation, searchHistory } from "./history.js";
import { answerTicket, chooseStatus, closeTicket, closeTicketForGood, saveEmail,
         updateAnswerCount } from "./tickets.js";
import { wireSettings } from "./settings.js";
import { wireLabels } from "./labels.js";
import { wireLearning } from "./learning.js";
import { wireDashboard } from "./dashboard.js";

function wire() {
  $("login-form").addEventListener("submit", signIn);
  $("error-close").addEventListener("click", hideError);
  $("sign-out").addEventListener("click", () => act($("sign-out"), signOut));
  $("presence").addEventListener("click", () => act($("presence"),
    () => changePresence(state.me.presence === "online" ? "away" : "online")));
  $("take-next").addEventListener("click", () => claimConversation(null, $("take-next")));
  $("claim-conversation").addEventListener("click",
    () => claimConversation(state.open.id, $("claim-conversation")));
  $("transfer").addEventListener("click", () => act($("transfer"), showTransfer));
  $("transfer-cancel").addEventListener("click", hideTransfer);
  $("transfer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(event.submitter, transfer);
  });
  $("resolve").addEventListener("click", () => act($("resolve"), () => release("resolve")));
  $("hand-back").addEventListener("click", () => act($("hand-back"), () => release("hand-back")));
  $("close-conversation").addEventListener("click", closeConversation);
  $("back-to-list").addEventListener("click", closeConversation);   // narrow screens only
  $("reply-form").addEventListener("submit", sendReply);
  $("manage-team").addEventListener("click", openTeamAdmin);
  $("team-admin-close").addEventListener("click", closeTeamAdmin);
  $("team-admin").addEventListener("close", () => { $("new-agent-password").value = ""; });
  $("new-agent-form").addEventListener("submit", (event) => {
    event.preventDefault();
    adminAct($("new-agent-form").querySelector("button[type=submit]"), createAccount,
             $("new-agent-error"));
  });
  $("alert-sound").addEventListener("change", toggleSound);
  $("alert-desktop").addEventListener("change", () => act(null, toggleDesktop));
  document.addEventListener("visibilitychange", onVisibilityChange);
  document.addEventListener("pointerdown", wakeAudio);
  $("reply-text").addEventListener("input", updateCount);
  $("reply-text").addEventListener("input", signalTyping);
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });
}

function wireHistory() {
  $("history-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(event.submitter, searchHistory);
  });
  $("case-hide").addEventListener("click", closeCase);
  $("case-forget").addEventListener("click", () => act($("case-forget"), forgetCaseConversation));
  $("case-back").addEventListener("click", closeCase);   // narrow screens only
}

function wireTickets() {
  for (const tab of document.querySelectorAll(".ticket-tab")) {
    tab.addEventListener("click", () => chooseStatus(tab.dataset.status));
  }
  $("ticket-answer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(null, answerTicket);   // it disables the button itself
  });
  $("ticket-answer-text").addEventListener("input", updateAnswerCount);
  $("ticket-email-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(event.submitter, saveEmail);
  });
  $("ticket-close").addEventListener("click", () => act(null, closeTicketForGood));
  $("ticket-hide").addEventListener("click", closeTicket);
  $("ticket-back").addEventListener("click", closeTicket);   // narrow screens only
}

async function boot() {
  wire();
  wireTickets();
  wireHistory();
  wireSettings();
  wireLabels();
  wireLearning();
  wireDashboard();
  try {
    const reply = await api("GET", "/api/me");
    startSession(reply.agent, (reply.conversations || []).length);
  } catch (error) {
    showLogin(error.status === 401 ? "" : error.message);
  }
}

boot();
