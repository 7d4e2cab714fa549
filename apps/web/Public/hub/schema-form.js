// Form fields generated from a model's parameter schema (libs/ParameterSchema's subset of JSON
// Schema: string, number, integer and boolean properties with enum, default, minimum/maximum,
// minLength/maxLength, title, description and required). The browser checks what the schema
// says through the inputs' own constraints; the hub checks again and names `parameters.<name>`.
import {field} from '../forms.js';
import {h} from '../dom.js';

function input(name, property, required) {
  const id = `param-${name}`;
  const fieldName = `parameters.${name}`;
  const initial = property.default;
  if (Array.isArray(property.enum)) {
    const select = h('select', {id, name: fieldName, required},
      // An optional choice without a default may be left unset.
      required || initial !== undefined ? null : h('option', {value: ''}, '(not set)'),
      property.enum.map((choice) => h('option', {value: String(choice), selected: choice === initial},
        String(choice))));
    if (required && initial === undefined) {
      select.prepend(h('option', {value: '', disabled: true}, 'choose…'));
      select.value = '';
    }
    return select;
  }
  if (property.type === 'boolean') {
    return h('input', {id, name: fieldName, type: 'checkbox', checked: initial === true});
  }
  if (property.type === 'number' || property.type === 'integer') {
    return h('input', {id, name: fieldName, type: 'number', required, step: property.type === 'integer' ? '1' : 'any',
      min: property.minimum, max: property.maximum, value: initial === undefined ? '' : String(initial)});
  }
  return h('input', {id, name: fieldName, type: 'text', required, minlength: property.minLength,
    maxlength: property.maxLength, value: initial === undefined ? '' : String(initial)});
}

function hint(property) {
  const limits = [];
  if (property.minimum !== undefined) limits.push(`≥ ${property.minimum}`);
  if (property.maximum !== undefined) limits.push(`≤ ${property.maximum}`);
  if (property.minLength !== undefined) limits.push(`at least ${property.minLength} characters`);
  if (property.maxLength !== undefined) limits.push(`at most ${property.maxLength} characters`);
  const type = Array.isArray(property.enum) ? 'one of the choices' : property.type;
  return [property.description, `${type}${limits.length ? ', ' + limits.join(', ') : ''}`].filter(Boolean).join(' — ');
}

/**
 * The schema's fields and a `values()` that reads them back as typed JSON: enum choices as the
 * schema's own values, numbers as numbers, unset optional fields left out (the hub fills defaults).
 */
export function schemaFields(schema) {
  const properties = (schema && schema.properties) || {};
  const required = new Set((schema && schema.required) || []);
  const names = Object.keys(properties);
  // Required parameters first, each group in the schema's order.
  names.sort((a, b) => Number(required.has(b)) - Number(required.has(a)));
  const inputs = new Map(names.map((name) => [name, input(name, properties[name], required.has(name))]));
  const fields = names.map((name) => {
    const property = properties[name];
    const label = (property.title || name) + (required.has(name) ? ' *' : '');
    return field(label, inputs.get(name), `parameters.${name}`, hint(property));
  });
  function values() {
    const parameters = {};
    for (const name of names) {
      const property = properties[name];
      const element = inputs.get(name);
      if (Array.isArray(property.enum)) {
        const choice = property.enum.find((value) => String(value) === element.value);
        if (element.value !== '' && choice !== undefined) parameters[name] = choice;
      } else if (property.type === 'boolean') {
        parameters[name] = element.checked;
      } else if (property.type === 'number' || property.type === 'integer') {
        // A text the browser could not read as a number is sent as typed, for the hub to name.
        if (element.value !== '') parameters[name] = Number.isFinite(element.valueAsNumber) ? element.valueAsNumber : element.value;
      } else if (element.value !== '' || required.has(name)) {
        parameters[name] = element.value;
      }
    }
    return parameters;
  }
  return {fields, values, names};
}
