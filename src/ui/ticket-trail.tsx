import type { TicketWeeks } from '../modules/reasons/reason-schemas';
import { addWeeks } from '../modules/reasons/weeks';
import { Note } from '../view-kit/components';

/**
 * Said where a page's default window ends at the last week of the tickets' usual volume
 * rather than at the last week with tickets: what came after, and a link to it.
 */
export const TrailNote = (props: { data: TicketWeeks; to: string; page: string }) => {
  const { data } = props;
  if (!data?.after_usual || data.usual_through !== props.to) return '';
  const { weeks, contacts, usual_weekly } = data.after_usual;
  const after = new URLSearchParams({
    from: addWeeks(data.usual_through, 1),
    to: data.last_week,
  });
  return (
    <Note>
      After the week of {data.usual_through}, contacts fall to about {Math.round(contacts / weeks)}{' '}
      a week ({contacts} in {weeks} weeks, up to {data.last_week}), against about{' '}
      {Math.round(usual_weekly)} a week before, so this view ends there. If that is not how your
      support volume went, the import may be incomplete.{' '}
      <a href={`${props.page}?${after}`}>Show the weeks after it</a>.
    </Note>
  );
};
