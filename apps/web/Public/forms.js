// Forms whose errors land next to their fields. Each input sits in a field() whose error slot is
// keyed by the API's field name (`resources.cpus`, `parameters.mode`), so a 400 naming a field is
// shown beside it, and the browser's own checks (required, min/max) are shown in the same place.
import {fill, h} from './dom.js';

/** A labelled input with an error slot: field('CPUs', input, 'resources.cpus', 'hint text'). */
export function field(label, input, name, hint) {
  if (name && !input.name) input.name = name;
  return h('label', {class: 'field', dataset: {field: name || ''}},
    h('span', {class: 'field-label'}, label), input,
    hint ? h('small', {class: 'muted field-hint'}, hint) : null,
    h('span', {class: 'field-error error', role: 'alert', dataset: {errorFor: name || ''}}));
}

/** A form-wide error slot (errors that name no field of the form); put one in every form. */
export function formError() {
  return h('div', {class: 'form-error', role: 'alert'});
}

export function clearErrors(form) {
  for (const slot of form.querySelectorAll('.field-error, .form-error')) fill(slot);
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** The slot for `name`, or for its nearest parent field (`resources.cpus.min` → `resources.cpus`). */
function slotFor(form, name) {
  let key = name || '';
  while (key) {
    const slot = form.querySelector(`.field-error[data-error-for="${CSS.escape(key)}"]`);
    if (slot) return slot;
    key = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '';
  }
  return null;
}

/** Shows an API error (ApiError: message, field) beside its field, else in the form's error slot. */
export function showError(form, error) {
  const slot = slotFor(form, error.field);
  if (slot) {
    fill(slot, error.message || String(error));
    slot.closest('.field')?.querySelector('input, select, textarea')?.setAttribute('aria-invalid', 'true');
    return;
  }
  const general = form.querySelector('.form-error');
  const text = (error.field ? `${error.field}: ` : '') + (error.message || String(error));
  if (general) fill(general, text);
}

/** The browser's own constraint checks, each message shown beside its field; true when all pass. */
export function checkFields(form) {
  let ok = true;
  for (const input of form.querySelectorAll('input, select, textarea')) {
    if (input.checkValidity()) continue;
    ok = false;
    const slot = slotFor(form, input.name);
    if (slot) fill(slot, `${input.name}: ${input.validationMessage}`);
    input.setAttribute('aria-invalid', 'true');
  }
  return ok;
}
