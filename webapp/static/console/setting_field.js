// One setting in the Settings dialog: its label, its input, a hint, and the place where the
// server's message about it is shown (settings.js finds it by `data-setting`), tied together
// for screen readers. Used by every section of the dialog.

import { el } from "./dom.js";

export function settingField(setting, input, labelText, hintText) {
  const wrapper = el("div", "setting");
  wrapper.dataset.setting = setting;
  const label = el("label", "setting__label", labelText);
  label.htmlFor = input.id;
  const hint = el("span", "hint", hintText);
  hint.id = `${input.id}-hint`;
  const error = el("span", "setting__error");
  error.id = `${input.id}-error`;
  error.hidden = true;
  input.setAttribute("aria-describedby", `${hint.id} ${error.id}`);
  wrapper.append(label, input, hint, error);
  return wrapper;
}
